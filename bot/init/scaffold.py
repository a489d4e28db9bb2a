# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Plan the files init writes, compare them with the repository, and write them.

A file is *created* (absent), *kept* (already byte-identical, or for the data manifest:
already telling the truth about its file) or *would overwrite* (present and different).
Nothing is written while one file would be overwritten without ``--force``: a half-made
scaffold is worse than none. A second run with the same inputs keeps every file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from modelgate.bot.init.infer import Design, InitError
from modelgate.bot.init.render import (
    CARDS_README,
    GITIGNORE_NEW,
    Identity,
    governance_text,
    render_workflow,
    workflow_templates,
)
from modelgate.datafiles import DataFileError, add_data, disagreements
from modelgate.governance import CONFIG_FILENAME

Status = Literal["created", "kept", "overwrite"]
GITIGNORE_LINE = ".modelgate/"
WORKFLOWS = Path(".github") / "workflows"
CARDS = Path("model_cards") / "README.md"
CODE_DIRS_WATCHED = ("training", "data")  # pr-check.yml's paths already list these

MSG_NO_TEMPLATES = ("this modelgate installation has no caller workflow templates in {dir}; "
                    "reinstall modelgate")
MSG_WOULD_OVERWRITE = ("{files} exist{s} and differ{s} from what init writes; nothing was "
                       "written. Pass --force to overwrite, or move {them} aside")


@dataclass(frozen=True)
class Planned:
    path: str  # relative to the root, posix
    status: Status
    text: str | None  # None: the data manifest, written by add_data


@dataclass(frozen=True)
class DataEntry:
    """What ``modelgate data add`` needs for the data file."""

    license_id: str
    copyright_text: str
    source: str
    pii_status: str
    pii_certified_by: str


def _status(root: Path, relative: str, text: str) -> Status:
    path = root / relative
    if not path.exists():
        return "created"
    try:
        same = path.read_bytes() == text.encode("utf-8")
    except OSError:
        same = False
    return "kept" if same else "overwrite"


def _gitignore(root: Path) -> str:
    path = root / ".gitignore"
    current = path.read_text(encoding="utf-8") if path.is_file() else GITIGNORE_NEW
    lines = {line.strip() for line in current.splitlines()}
    if GITIGNORE_LINE in lines or "/" + GITIGNORE_LINE in lines:
        return current
    sep = "" if not current or current.endswith("\n") else "\n"
    return f"{current}{sep}{GITIGNORE_LINE}\n"


def _manifest_status(root: Path, ident: Identity, entry: DataEntry) -> Status:
    path = root / ident.manifest_path
    if not path.exists():
        return "created"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            return "overwrite"
        wrong = disagreements(root, root / ident.data_path, manifest, ident.id_column)
    except (OSError, ValueError, DataFileError):
        return "overwrite"
    pii = manifest.get("pii")
    pii = pii if isinstance(pii, dict) else {}
    same = (not wrong and manifest.get("license") == entry.license_id
            and manifest.get("target_column") == ident.target
            and manifest.get("source") == entry.source
            and pii.get("status") == entry.pii_status)
    return "kept" if same else "overwrite"


def watched_paths(ident: Identity, estimator: str | None) -> list[str]:
    """What pr-check.yml must also watch so that a change to the team's data or code is
    audited: the folder of each (the file itself at the root), unless already listed."""
    files = [ident.data_path]
    if estimator and ".py:" in estimator:
        files.append(estimator.split(":", 1)[0])
    out: list[str] = []
    for file in files:
        folder = Path(file).parent
        if folder.parts and folder.parts[0] in CODE_DIRS_WATCHED:
            continue
        pattern = f"{folder.as_posix()}/**" if folder.parts else file
        if pattern not in out:
            out.append(pattern)
    return out


def plan(root: Path, ident: Identity, design: Design, entry: DataEntry,
         estimator: str | None, templates: Path | None = None) -> list[Planned]:
    """Every file init writes, with what writing it would do."""
    files: list[tuple[str, str]] = [(CONFIG_FILENAME, governance_text(ident, design))]
    found = workflow_templates(templates)
    if not found:
        raise InitError(MSG_NO_TEMPLATES.format(dir=templates))
    extra = watched_paths(ident, estimator)
    for name, template in found.items():
        files.append(((WORKFLOWS / name).as_posix(),
                      render_workflow(name, template, ident, extra)))
    files.append((CARDS.as_posix(), CARDS_README))
    files.append((".gitignore", _gitignore(root)))
    planned = [Planned(p, _status(root, p, t), t) for p, t in files]
    planned.append(Planned(ident.manifest_path, _manifest_status(root, ident, entry), None))
    return planned


def refuse_overwrites(planned: Sequence[Planned], force: bool) -> None:
    """Fail closed, naming the files, when one would be overwritten without --force."""
    clash = [p.path for p in planned if p.status == "overwrite"]
    if clash and not force:
        many = len(clash) > 1
        raise InitError(MSG_WOULD_OVERWRITE.format(
            files=", ".join(clash), s="" if many else "s", them="them" if many else "it"))


def write(root: Path, planned: Sequence[Planned], ident: Identity, entry: DataEntry) -> None:
    """Write what is created or overwritten, the data manifest first (the one write that
    can still refuse); kept files are not touched."""
    for item in sorted(planned, key=lambda i: i.text is not None):
        if item.status == "kept":
            continue
        if item.text is None:
            try:
                add_data(root, root / ident.data_path, license_id=entry.license_id,
                         copyright_text=entry.copyright_text, source=entry.source,
                         id_column=ident.id_column, target_column=ident.target,
                         manifest_path=root / ident.manifest_path,
                         pii_status=entry.pii_status, certified_by=entry.pii_certified_by,
                         force=True)
            except DataFileError as exc:
                raise InitError(str(exc)) from exc
            continue
        path = root / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.text.encode("utf-8"))
