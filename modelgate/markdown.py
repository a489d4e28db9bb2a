# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Escaping for text that did not come from us (data, configuration, PR artifacts) before
it lands in Markdown that GitHub renders: it must not break the layout, inject HTML or
links, or ping people."""

from __future__ import annotations

import html
import re

_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9.:_~%/?#=&+-]+$")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#|~])")
_MAX_INLINE = 500


def escape_md(text: object, *, limit: int = _MAX_INLINE) -> str:
    """Inline-safe text: one line, HTML escaped, Markdown punctuation backslashed,
    ``@`` mentions and ``#`` references neutralised, length capped."""
    raw = " ".join(str(text).split())  # no newlines: a table cell or list item stays one
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    # Markdown first, then HTML: the other order would backslash the '#' of an entity
    escaped = html.escape(_MD_SPECIAL.sub(r"\\\1", raw), quote=False)
    return escaped.replace("@", "&#64;")


def code_span(text: object, *, limit: int = 200) -> str:
    """A code span that cannot be closed early by backticks in the text. Nothing inside is
    backslashed: GitHub shows a code span's text as it is, backslashes included."""
    raw = " ".join(str(text).split())[:limit].replace("`", "'")
    return f"`{raw}`" if raw else "` `"


_CODE = re.compile(r"`([^`\n]{1,200})`")


def escape_md_code(text: object, *, limit: int = _MAX_INLINE) -> str:
    """Like :func:`escape_md`, but the text's own code spans (an audit naming a column,
    a branch, a sha) stay code spans instead of showing their backticks."""
    raw = " ".join(str(text).split())
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    def plain(part: str) -> str:  # escape_md trims; the spaces around a code span stay
        if not part.strip():
            return part
        lead = " " if part[0] == " " else ""
        return lead + escape_md(part, limit=limit) + (" " if part[-1] == " " else "")

    out, at = [], 0
    for m in _CODE.finditer(raw):
        out.append(plain(raw[at:m.start()]))
        out.append(code_span(m.group(1)))
        at = m.end()
    out.append(plain(raw[at:]))
    return "".join(out)


def safe_url(value: object) -> str | None:
    """A link target that cannot break out of Markdown link syntax, else ``None``."""
    return value if isinstance(value, str) and _SAFE_URL.match(value) else None


def link(text: object, url: object, *, limit: int = 200) -> str:
    """``[text](url)`` with the text escaped, or the escaped text alone for an unsafe URL."""
    label = escape_md(text, limit=limit)
    target = safe_url(url)
    return f"[{label}]({target})" if target else label
