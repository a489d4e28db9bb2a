# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The model card renders every section from its JSON twin, escapes what it did not write,
and exports a Model Card Toolkit document that validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from modelgate.bot.check import card as cards
from modelgate.bot.check.audits import model_card
from modelgate.bot.check.audits.base import AuditContext
from modelgate.bot.check.pipeline import run_check
from tests.conftest import FIXTURES, make_workspace


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`modelgate check` output for a workspace of its own (check trains, so it does not
    share the read-only trained workspace; audits that need git/tools run too)."""
    import io

    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter

    root = make_workspace(tmp_path_factory.mktemp("card-ws"))
    out = tmp_path_factory.mktemp("check-out")
    run_check(load_config(root / "governance.yml"), out, reporter=ConsoleReporter(io.StringIO()))
    return out


def test_card_has_every_section_and_front_matter(checked: Path) -> None:
    """The Markdown has HF-style front matter with a model-index and every handbook section."""
    text = (checked / "model_card.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    metrics = meta["model-index"][0]["results"][0]["metrics"]
    assert {m["type"] for m in metrics} == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    for heading in model_card.MARKDOWN_HEADINGS:
        assert f"\n{heading}\n" in text
    assert "```mermaid\nflowchart LR" in text and "xychart-beta" in text
    assert "| ⏳ data-steward | 1 | — | — | — | pending |" in text


def test_json_twin_round_trips_and_mct_validates(checked: Path) -> None:
    """The JSON twin loads strictly and re-renders the same Markdown; MCT export validates."""
    twin = cards.load_card_json((checked / "model_card.json").read_bytes())
    assert cards.render_markdown(twin) == (checked / "model_card.md").read_text()
    mct = json.loads((checked / "model_card.mct.json").read_text())
    schema = FIXTURES / "model-card-schemas/mct/model_card.schema.v0.0.2.json"
    assert cards.mct_schema_errors(mct, schema) == []
    assert (schema.read_bytes() == model_card.MCT_SCHEMA.read_bytes())


def test_strings_from_configuration_cannot_inject(checked: Path) -> None:
    """HTML, mentions, links and table breaks from configuration are escaped in the card."""
    twin = cards.load_card_json((checked / "model_card.json").read_bytes())
    evil = "<script>alert(1)</script> @everyone [click](http://evil) | cell\n## Fake"
    poisoned = twin.model_copy(update={"intended_use": evil, "limitations": evil})
    text = cards.render_markdown(poisoned)
    assert "<script>" not in text and "@everyone" not in text
    assert "[click](http" not in text and "\n## Fake" not in text
    assert "&lt;script&gt;" in text and "&#64;everyone" in text


def test_card_json_is_validated_strictly() -> None:
    """Unknown keys, wrong types and oversized documents are refused with the key named."""
    with pytest.raises(cards.CardError, match="overview"):
        cards.load_card_json(b'{"schema_version": 1, "overview": 3}')
    with pytest.raises(cards.CardError, match="limit"):
        cards.load_card_json(b" " * (cards.MAX_CARD_JSON_BYTES + 1))


def test_model_card_audit_passes_then_fails_on_an_empty_section(
    checked: Path, audit_context: AuditContext, tmp_path: Path
) -> None:
    """A complete card passes; the same card with an empty section fails, naming it."""
    import dataclasses
    import shutil

    ok = model_card.run(dataclasses.replace(audit_context, card_dir=checked))
    assert ok.status == "pass", ok.summary
    broken = tmp_path / "card"
    shutil.copytree(checked, broken)
    data = json.loads((broken / "model_card.json").read_text())
    data["limitations"] = "  "
    (broken / "model_card.json").write_text(json.dumps(data))
    bad = model_card.run(dataclasses.replace(audit_context, card_dir=broken))
    assert bad.status == "fail"
    assert "section 'limitations' is empty" in bad.details["problems"]
    data["limitations"] = "TODO: what this model gets wrong"
    data["intended_use"] = "  todo - write me"
    (broken / "model_card.json").write_text(json.dumps(data))
    todo = model_card.run(dataclasses.replace(audit_context, card_dir=broken))
    assert todo.status == "fail"
    named = " ".join(todo.details["problems"])
    assert "'limitations' is still a placeholder" in named, named
    assert "'intended_use' is still a placeholder" in named, named


def test_model_card_audit_fails_on_invalid_mct_and_missing_files(
    checked: Path, audit_context: AuditContext, tmp_path: Path
) -> None:
    """An MCT export that breaks its schema fails; a missing card is missing evidence."""
    import dataclasses
    import shutil

    from modelgate.bot.check.audits.base import EvidenceMissing

    broken = tmp_path / "card"
    shutil.copytree(checked, broken)
    mct = json.loads((broken / "model_card.mct.json").read_text())
    mct["model_details"]["owners"] = "not a list"
    mct["unexpected"] = True
    (broken / "model_card.mct.json").write_text(json.dumps(mct))
    bad = model_card.run(dataclasses.replace(audit_context, card_dir=broken))
    assert bad.status == "fail"
    assert any(p.startswith("MCT schema:") for p in bad.details["problems"])
    (broken / "model_card.md").unlink()
    with pytest.raises(EvidenceMissing, match=r"model_card\.md"):
        model_card.run(dataclasses.replace(audit_context, card_dir=broken))


GATE_DETAILS = {
    "primary_metric": "roc_auc", "evaluation_rows": 114,
    "reference": {"name": "majority-class baseline", "version": None,
                  "metrics": {"roc_auc": 0.5, "recall": 1.0}},
    "candidate": {"metrics": {"roc_auc": 0.99, "recall": 0.98},
                  "ci95": {"roc_auc": [0.98, 1.0], "recall": [0.95, 1.0]},
                  "confusion": {"labels": ["malignant", "benign"], "counts": [[40, 2], [1, 71]]}},
    "delta": 0.49, "bootstrap": {"ci95": [0.48, 0.5]}, "floors": {}, "unchanged_model": False,
}


def test_the_gate_label_says_what_was_compared() -> None:
    """Against a baseline the checklist does not claim "better than production"."""
    from modelgate.bot.check.report import AuditEntry, checklist_markdown, checklist_title

    def gate(version: str | None, unchanged: bool = False) -> AuditEntry:
        name = "majority-class baseline" if version is None else f"production v{version}"
        return AuditEntry(id="performance_gate", title="Strictly better than production",
                          status="pass", summary="roc_auc `0.99`",
                          details={"reference": {"name": name, "version": version},
                                   "unchanged_model": unchanged})

    assert checklist_title(gate(None)) == (
        "Better than the majority-class baseline (no production model yet)")
    assert checklist_title(gate("3")) == "Strictly better than production v3"
    assert checklist_title(gate("3", True)).startswith("Unchanged from production v3")
    line = checklist_markdown([gate(None)])
    assert "(`performance_gate`): roc\\_auc `0.99`" in line


def test_the_confusion_matrix_and_the_comparison_reach_the_card() -> None:
    """The gate's confusion counts are kept in the card and drawn as a table; every metric
    is compared with the reference, with its interval, on one axis."""
    perf = cards.performance_from_gate(GATE_DETAILS, {})
    assert perf.confusion is not None and perf.confusion.counts == [[40, 2], [1, 71]]
    bad = {**GATE_DETAILS, "candidate": {**GATE_DETAILS["candidate"],  # type: ignore[dict-item]
                                         "confusion": {"labels": ["a", "b"], "counts": [[1]]}}}
    assert cards.performance_from_gate(bad, {}).confusion is None
    assert "confusion" not in cards.performance_from_gate({}, {}).model_dump()
    from tests.chain.test_render import realistic_card

    card = realistic_card("c" * 40).model_copy(update={"performance": perf})
    rows = {r["name"]: r for r in cards.comparison_rows(card)}
    assert rows["roc_auc"]["ci"] == [0.48, 0.5] and rows["roc_auc"]["verdict"] == "better"
    assert rows["recall"]["verdict"] == "no clear difference"
    text = cards.render_markdown(card)
    assert "| **malignant** | **40** | 2 | 0.952 |" in text
