# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``model_card``: is the card generated, complete, and valid in both schemas?

A reviewer approves what the card says, so an empty section is a failure, not a style
issue: the card must carry every section the handbook lists, its JSON twin must validate,
and its Model Card Toolkit export must validate against the MCT schema.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.bot.check.card import (
    REQUIRED_SECTIONS,
    CardError,
    ModelCard,
    load_card_json,
    mct_schema_errors,
)

AUDIT_ID = "model_card"
TITLE = "Model card complete and valid"
MCT_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "model_card.schema.v0.0.2.json"
MARKDOWN_HEADINGS = ("## Overview", "## Intended use", "### Out-of-scope use", "## Training data",
                     "## Performance", "## Subgroups", "## Limitations and risks", "## Lineage",
                     "## Audit checklist", "## Approval chain")


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return len(value) == 0
    return False


# `modelgate init` writes "TODO: ..." where only the team can say what the model is for;
# a card still carrying one is as unfinished as an empty one
PLACEHOLDER = re.compile(r"^\s*(TODO|TBD|FIXME|XXX)\b|<\s*fill[^>]*>", re.IGNORECASE)


def _placeholders(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [where] if PLACEHOLDER.search(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{where}[{i}]")]
    return []


def _section_problems(card: ModelCard) -> list[str]:
    problems = []
    for name in REQUIRED_SECTIONS:
        value = getattr(card, name)
        data = value.model_dump() if hasattr(value, "model_dump") else value
        if _empty(data):
            problems.append(f"section '{name}' is empty")
            continue
        problems += [f"'{where}' is still a placeholder (TODO): write it in governance.yml's "
                     "model: section" for where in _placeholders(data, name)]
        if isinstance(data, dict):
            blank = [k for k, v in data.items() if _empty(v) and k not in _OPTIONAL.get(name, ())]
            if blank:
                problems.append(f"section '{name}' has empty field(s) {blank}")
    if not card.performance.metrics or any(m.value is None for m in card.performance.metrics
                                           if m.name not in ("roc_auc", "roc_auc_ovr", "r2")):
        problems.append("section 'performance' lacks metric values")
    if not card.subgroups.rows:
        problems.append("section 'subgroups' has no rows")
    return problems


_OPTIONAL = {
    # positive/negative class name only a binary model; output is absent in older cards
    "overview": ("version", "owners", "positive_class", "negative_class", "output"),
    "training_data": ("doi", "feature_types"),
    "performance": ("reference_version", "floors", "ceilings", "unchanged_model", "delta",
                    "delta_ci95"),
    "lineage": ("tracking_uri", "pull_request"),
    "approvals": ("history", "hold"),
}


def _markdown_problems(text: str) -> list[str]:
    problems = []
    positions = []
    for heading in MARKDOWN_HEADINGS:
        at = text.find("\n" + heading + "\n")
        if at < 0:
            problems.append(f"Markdown lacks the heading '{heading}'")
        positions.append(at)
    found = [*sorted(p for p in positions if p >= 0), len(text)]
    for start, end in itertools.pairwise(found):
        body = text[start:end].split("\n", 2)[-1].strip()
        if not body:
            problems.append(f"Markdown section at offset {start} is empty")
    return problems


def run(ctx: AuditContext) -> AuditResult:
    """Validate the card files written for this run."""
    started = time.perf_counter()
    if ctx.card_dir is None:
        raise EvidenceMissing("no model card was generated")
    paths = {kind: ctx.card_dir / name for kind, name in
             (("json", "model_card.json"), ("md", "model_card.md"),
              ("mct", "model_card.mct.json"))}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise EvidenceMissing(f"model card file(s) missing: {missing}")
    problems: list[str] = []
    try:
        card = load_card_json(paths["json"].read_bytes())
    except CardError as exc:
        problems.append(str(exc))
        card = None
    if card is not None:
        problems += _section_problems(card)
    problems += _markdown_problems(paths["md"].read_text(encoding="utf-8"))
    try:
        mct = json.loads(paths["mct"].read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        problems.append(f"MCT export is not JSON: {exc}")
    else:
        problems += [f"MCT schema: {e}" for e in mct_schema_errors(mct, MCT_SCHEMA)]
    summary = ("all sections filled; JSON twin and MCT v0.0.2 export validate" if not problems
               else f"{len(problems)} problem(s): " + "; ".join(problems[:5]))
    return AuditResult(
        id=AUDIT_ID, title=TITLE, status="fail" if problems else "pass", summary=summary,
        details={"problems": problems, "files": {k: p.name for k, p in paths.items()},
                 "required_sections": list(REQUIRED_SECTIONS)},
        duration_s=time.perf_counter() - started,
    )
