# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The living PR comment rendered as GitHub renders it: GFM (markdown-it-py with tables and
task lists, raw HTML allowed for ``<details>``) and every ``mermaid`` block through
Mermaid's own parser at the version GitHub runs (``tools/mermaid/package.json``; installed
with ``npm ci`` on first use, the npm registry must be reachable once).

What a reader sees: the verdict on the first line, no literal backslash escapes anywhere,
every chart parses and has data, and the checklist names what the gate compared with.
Set ``MODELGATE_RENDER_HTML=/path/page.html`` to keep the rendered page (for a screenshot).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.chain.comment import CommentRenderer, CommentState, GateView, View, gate_markdown
from modelgate.bot.check.card import (
    ChecklistItem,
    Confusion,
    Lineage,
    MetricRow,
    ModelCard,
    Overview,
    Performance,
    SubgroupRow,
    Subgroups,
    TrainingData,
    render_markdown,
)
from modelgate.bot.check.report import AuditEntry, AuditReport, ComputedBy, checklist_title
from tests.bot_support import (
    CS,
    MODEL,
    REPO,
    Scene,
    artifact_files,
    make_metadata,
    zip_of,
)
from tests.workflows.test_lint import NODE_MAJOR_MIN, NPM_CI, locked_packages_installed, node_major

REPO_ROOT = Path(__file__).resolve().parents[2]
MERMAID_DIR = REPO_ROOT / "tools" / "mermaid"
PARSE = MERMAID_DIR / "parse.mjs"
INSTALL_LOCK = Path(os.environ.get("TMPDIR", "/tmp")) / "modelgate-mermaid-npm-ci.lock"
VISIBLE_ESCAPE = re.compile(r"\\[\\`*_{}\[\]()#|~<>!.-]")
GATE_BASELINE = "Better than the majority-class baseline (no production model yet)"


# ------------------------------------------------------------------ the renderers


def gfm() -> MarkdownIt:
    """CommonMark with GitHub's tables, strikethrough and task lists; raw HTML kept."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.use(tasklists_plugin)


class _Text(HTMLParser):
    """The text a reader sees: everything but Mermaid sources (GitHub draws those)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "code" and ("class", "language-mermaid") in attrs:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(rendered: str) -> str:
    parser = _Text()
    parser.feed(rendered)
    return "".join(parser.parts)


def mermaid_blocks(markdown: str) -> list[str]:
    return [t.content for t in gfm().parse(markdown) if t.type == "fence"
            and t.info.strip() == "mermaid"]


@pytest.fixture(scope="session")
def mermaid_parse() -> list[str]:
    """The command that parses Mermaid sources; installs the locked package if needed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the render test needs Node.js and npm on PATH (apt-get install nodejs npm)")
    if node_major(node) < NODE_MAJOR_MIN:
        pytest.fail(f"the render test needs Node.js {NODE_MAJOR_MIN} or newer")
    with INSTALL_LOCK.open("w") as lock:  # pytest-xdist workers install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not locked_packages_installed(MERMAID_DIR):
            done = subprocess.run(list(NPM_CI), cwd=MERMAID_DIR, capture_output=True,
                                  text=True, check=False, timeout=300)
            if done.returncode != 0 or not locked_packages_installed(MERMAID_DIR):
                pytest.fail(f"npm ci in {MERMAID_DIR} failed (exit {done.returncode}): "
                            f"{done.stderr[-2000:]}")
    return [node, str(PARSE)]


def parse_mermaid(command: list[str], sources: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(command, input=json.dumps(sources), capture_output=True, text=True,
                          check=False, timeout=120, cwd=MERMAID_DIR)
    assert done.returncode in (0, 1), done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def assert_renders(markdown: str, command: list[str]) -> str:
    """The checks every comment passes; returns the rendered HTML."""
    rendered: str = gfm().render(markdown)
    text = visible_text(rendered)
    shown = VISIBLE_ESCAPE.findall(text)
    assert not shown, f"literal escapes visible: {shown[:10]}"
    assert "&amp;#64;" not in rendered and "&#" not in text
    blocks = mermaid_blocks(markdown)
    for block in blocks:
        if block.lstrip().startswith("xychart"):
            series = re.findall(r"^\s*(bar|line) \[(.*)\]\s*$", block, flags=re.M)
            assert series and all(values.strip() for _, values in series), block
            axis = re.search(r"x-axis \[(.*)\]", block)
            assert axis and axis.group(1).strip(), block
    for result, block in zip(parse_mermaid(command, blocks), blocks, strict=True):
        assert result["ok"], f"{result['error']}\n{block}"
    return rendered


# ----------------------------------------------------------------------- a card


def audits(commit: str) -> list[AuditEntry]:
    gate = {"reference": {"name": "majority-class baseline", "version": None, "metrics": {}},
            "unchanged_model": False}
    rows = [
        ("data_validation", "Data validates against governance.yml", "569 rows, 30 features"),
        ("pii", "No personal data", "no PII pattern in 30 columns (`ip_headers` excluded)"),
        ("secrets", "No secrets in the change", "detect-secrets: 0 findings in 4 files"),
        ("security", "Dependencies without known CVEs", "pip-audit: 0 of 112 packages"),
        ("leakage", "No target leakage", "max |corr| 0.79 (worst_radius) < 0.95"),
        ("bias", "Subgroup gaps within limits", "4 subgroup(s) within the configured gaps"),
        ("robustness", "Robust to noise", "accuracy drops 0.009 under 5% noise"),
        ("performance_gate", "Strictly better than production",
         "roc_auc 0.9934 vs majority-class baseline 0.5000: improvement +0.4934"),
        ("lineage", "Lineage complete", "run, data, commit and model version linked"),
        ("model_card", "Model card complete", "every section present"),
        ("onnx", "Servable as ONNX", "max |diff| 2e-07 on 114 rows"),
        ("license", "Licenses allow use", "CC-BY-4.0 data, Apache-2.0 code"),
    ]
    return [AuditEntry(id=i, title=t, status="pass", summary=s,
                       details=gate if i == "performance_gate" else {}) for i, t, s in rows]


def realistic_card(commit: str, *, task: str = "binary") -> ModelCard:
    """What ``modelgate check`` writes for the shipped breast-cancer model on a first PR."""
    entries = audits(commit)
    if task == "regression":
        metrics = [MetricRow(name="mae", value=41.2, ci95=[37.9, 44.8], reference=62.3),
                   MetricRow(name="rmse", value=52.8, ci95=[48.1, 57.0], reference=77.1),
                   MetricRow(name="r2", value=0.48, ci95=[0.39, 0.56], reference=0.0)]
        primary, delta, delta_ci, confusion = "mae", 21.1, [17.0, 25.2], None
    elif task == "multiclass":
        metrics = [MetricRow(name="accuracy", value=0.944, ci95=[0.90, 0.98], reference=0.39),
                   MetricRow(name="macro_f1", value=0.94, ci95=[0.89, 0.98], reference=0.19)]
        primary, delta, delta_ci = "macro_f1", 0.75, [0.69, 0.80]
        confusion = Confusion(labels=["class_0", "class_1", "class_2"],
                              counts=[[12, 1, 0], [1, 16, 0], [0, 0, 6]])
    else:
        metrics = [
            MetricRow(name="accuracy", value=0.9737, ci95=[0.9386, 1.0], reference=0.6228),
            MetricRow(name="precision", value=0.9726, ci95=[0.9333, 1.0], reference=0.6228),
            MetricRow(name="recall", value=0.9861, ci95=[0.9559, 1.0], reference=1.0),
            MetricRow(name="f1", value=0.9793, ci95=[0.9510, 1.0], reference=0.7676),
            MetricRow(name="roc_auc", value=0.9934, ci95=[0.9812, 1.0], reference=0.5),
        ]
        primary, delta, delta_ci = "roc_auc", 0.4934, [0.4812, 0.5]
        confusion = Confusion(labels=["malignant", "benign"], counts=[[40, 2], [1, 71]])
    bands = [("tumour_size", "small", 38, 0.974, {"accuracy": 0.0, "recall": 0.014}, "pass"),
             ("tumour_size", "medium", 38, 0.947, {"accuracy": 0.027, "recall": 0.031}, "pass"),
             ("tumour_size", "large", 38, 1.0, {"accuracy": 0.026, "recall": 0.062}, "pass"),
             ("texture", "rough_edges", 12, 0.917, {"accuracy": 0.057}, "too_small")]
    return ModelCard(
        overview=Overview(
            name=MODEL, version="7", description="Breast mass benign/malignant classifier.",
            model_type="LogisticRegression", pipeline="StandardScaler -> LogisticRegression",
            threshold=0.5, positive_class="benign", negative_class="malignant",
            owners=["ml-platform", "clinical_ai"], created_at="2026-12-05T09:00:00+00:00",
            task=task),
        intended_use="Decision support for trained clinicians reading fine-needle aspirates.",
        out_of_scope_use="Autonomous diagnosis; populations outside the training data.",
        training_data=TrainingData(
            path="data/breast_cancer.csv", rows=569, columns=31, feature_count=30,
            features=[f"mean_{i}" for i in range(30)], train_rows=455, test_rows=114,
            sha256="d" * 64, collected="1995", license="CC-BY-4.0", source="UCI",
            doi="10.24432/C5DW2B", pii_status="none", pii_certified_by="data_steward"),
        performance=Performance(
            primary_metric=primary, evaluation_rows=114,
            reference_name="majority-class baseline", reference_version=None, delta=delta,
            delta_ci95=delta_ci, metrics=metrics, floors={metrics[0].name: 0.9},
            confusion=confusion),
        subgroups=Subgroups(max_gap={"accuracy": 0.1, "recall": 0.1}, min_size=20, rows=[
            SubgroupRow(group=g, band=b, rows=n, accuracy=a, recall=a, auc=0.99, status=s,
                        gaps=gaps) for g, b, n, a, gaps, s in bands]),
        limitations="One institution, 1995; *not* validated on other scanners.",
        risks=["subgroup texture/rough_edges has only 12 test rows"],
        lineage=Lineage(data_sha256="d" * 64, run_id="a" * 32, model_version="7",
                        commit=commit, tracking_uri=None),
        checklist=[ChecklistItem(id=e.id, title=checklist_title(e), status=e.status,
                                 summary=e.summary) for e in entries],
    )


def report_of(commit: str) -> AuditReport:
    return AuditReport(
        model_name=MODEL, commit=commit, run_id="a" * 32, model_version="7",
        data_sha256="d" * 64, model_fingerprint="e" * 64,
        started_at="2026-12-05T09:00:00+00:00", finished_at="2026-12-05T09:05:00+00:00",
        duration_s=300.0, passed=True,
        computed_by=ComputedBy(modelgate_commit="b" * 40, base_config_sha256="f" * 64,
                               pr_config_sha256=None),
        # the report job judges the gate again against production (none in the double)
        audits=[a for a in audits(commit) if a.id != "performance_gate"])


# ------------------------------------------------------------------------ tests


@pytest.fixture
def waiting_comment(github_double: GitHubDouble, tmp_path: Path,  # noqa: F811
                    monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> str:
    """The living comment of a first PR through the App: audits green, data-steward and
    ml-reviewer approved, clinical-safety still to approve."""
    scene = Scene(github_double, tmp_path, monkeypatch, capsys, app=True)
    number = scene.open_pr()
    head = scene.head(number)
    run_id = scene.gh.add_workflow_run(REPO, name="modelgate PR check", head_sha=head,
                                       pull_number=number, workflow_file="modelgate-audit.yml",
                                       conclusion="success")
    files = artifact_files(head, number, card=realistic_card(head), report=report_of(head),
                           metadata=make_metadata(head, pr=number, run_id=run_id))
    scene.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
    scene.handle(scene.gh.webhooks.workflow_run(REPO, run_id))
    scene.say("dana", number, "/approve")
    scene.say("mo", number, "/approve")
    body = scene.living(number)
    return body


def test_the_comment_reads_verdict_first_and_renders_as_github_does(
        waiting_comment: str, mermaid_parse: list[str]) -> None:
    """First line: the decision, what it waits for, the audits, when it merges; then the
    checklist, the approvals, and the card folded; nothing escaped shows."""
    body = waiting_comment
    first = body.split("\n\n")[1].split("\n")[0]
    assert first.startswith("⏳ **Not ready**")
    assert f"waiting for: **{CS}**" in first and "audits: all 11 pass" in first
    assert f"merges when {CS} approves this head" in first
    order = [body.index(s) for s in ("### Audits", "### Approvals", "<details><summary><b>Perf")]
    assert order == sorted(order)
    rendered = assert_renders(body, mermaid_parse)
    assert "<code>ip_headers</code>" in rendered
    out = os.environ.get("MODELGATE_RENDER_HTML")
    if out:
        Path(out).write_text(page(rendered), encoding="utf-8")


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_task_renders_and_charts_parse(task: str, mermaid_parse: list[str]) -> None:
    """Each task's comment and released card: no visible escapes, every Mermaid block
    parses, no empty chart; a confusion table for classification, none for regression."""
    card = realistic_card("c" * 40, task=task)
    gate = gate_markdown(GateView(check_name="modelgate", head_sha="c" * 40, status="failed",
                                  reasons=("the audits concluded 'failure' on head `cccc`",),
                                  approvals={"roles": []}))
    view = View(model_name=MODEL, head_sha="c" * 40, card=card, report_sha="c" * 40,
                approvals={"roles": []}, run_url=None, state=CommentState(), gate=gate)
    body, _ = CommentRenderer().render(view)
    for markdown in (body, render_markdown(card)):
        rendered = assert_renders(markdown, mermaid_parse)
        assert ("Confusion matrix" in rendered) is (task != "regression")
        assert GATE_BASELINE in visible_text(rendered)
        assert "Strictly better than production" not in markdown
    assert len(mermaid_blocks(body)) == 2  # the subgroup gaps and the lineage


def test_the_metric_strip_shows_the_difference() -> None:
    """The performance table draws each improvement with its CI on an axis around 0,
    shared by the metrics of a classifier."""
    text = render_markdown(realistic_card("c" * 40), comment=True)
    strips = re.findall(r"`([·━│●]+)`", text)
    assert len(strips) == 5 and len({len(s) for s in strips}) == 1
    recall = next(line for line in text.splitlines() if line.startswith("| recall"))
    assert "▼" in recall or "≈" in recall  # the baseline's recall is 1.0


def test_mermaid_parser_rejects_a_broken_chart(mermaid_parse: list[str]) -> None:
    """The parser is really Mermaid's: a chart without data is refused."""
    results = parse_mermaid(mermaid_parse, ["xychart-beta\n  bar []", "flowchart LR\n a-->b"])
    assert [r["ok"] for r in results] == [False, True]


# ---------------------------------------------------------------- a page to look at


CSS = """
body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
       color: #1f2328; max-width: 900px; margin: 16px auto; }
.comment { border: 1px solid #d1d9e0; border-radius: 6px; }
.head { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
        color: #59636e; }
.body { padding: 8px 16px; }
table { border-collapse: collapse; margin: 8px 0; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 4px 10px; }
tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 4px; padding: 1px 4px;
       font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
h3 { font-size: 16px; margin: 18px 0 6px; padding-bottom: 4px; border-bottom: 1px solid #d1d9e0; }
ul { padding-left: 24px; margin: 4px 0; }
li.task-list-item { list-style: none; } li.task-list-item input { margin-right: 4px; }
details { margin: 4px 0; } summary { cursor: pointer; }
pre { background: #f6f8fa; padding: 8px; border-radius: 6px; }
"""


MERMAID_JS = MERMAID_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
DRAW = """<script src="{js}"></script><script>
for (const code of document.querySelectorAll("code.language-mermaid")) {{
  const div = document.createElement("div"); div.className = "mermaid";
  div.textContent = code.textContent; code.parentElement.replaceWith(div);
}}
mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}}); mermaid.run();
</script>"""


def page(rendered: str) -> str:
    """The comment as a page styled like GitHub's, Mermaid drawn by the pinned version."""
    draw = DRAW.format(js=MERMAID_JS.as_uri()) if MERMAID_JS.is_file() else ""
    return ("<!doctype html><meta charset=utf-8><style>" + CSS + "</style>"
            "<div class=comment><div class=head><b>modelgate[bot]</b> commented</div>"
            "<div class=body>" + rendered + "</div></div>" + draw)


