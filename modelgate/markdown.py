# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Escaping for text that did not come from us (data, configuration, PR artifacts) before
it lands in Markdown that GitHub renders: it must not break the layout, inject HTML or
links, or ping people."""

from __future__ import annotations

import html
import re

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
    """A code span that cannot be closed early by backticks in the text."""
    raw = " ".join(str(text).split())[:limit].replace("`", "'")
    return f"`{raw}`" if raw else "` `"
