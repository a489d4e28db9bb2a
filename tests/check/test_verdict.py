# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""`modelgate verdict`: the default branch's modelgate recomputes every audit on a pull
request's checkout and artifact, read as data, whatever the PR's own code claims."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from modelgate.bot.check.artifact import RunMetadata, load_artifact
from modelgate.bot.check.audits.base import EvidenceMissing
from modelgate.bot.check.card import load_card_json
from modelgate.bot.check.evidence import evaluation_rows, write_evidence
from modelgate.bot.check.pipeline import run_check
from modelgate.bot.check.report import (
    CARD_JSON_FILE,
    EVAL_ROWS_FILE,
    METADATA_FILE,
    PREDICTIONS_FILE,
    REPORT_FILE,
    AuditReport,
)
from modelgate.bot.check.verdict import VERDICT_FILE, Verdict
from modelgate.bot.check.verdict_context import ClaimedPredictor, read_tree
from modelgate.bot.cli import verdict as cli_verdict
from modelgate.errors import ExitCode, ModelgateError
from modelgate.governance import load_config
from modelgate.progress import ConsoleReporter
from modelgate.training.train import fingerprint
from tests.conftest import REPO, fixture_config, git, make_workspace

pytestmark = pytest.mark.slow

REPOSITORY, PR = "octo/models", 7
EVIL_BACKEND = ('[build-system]\nrequires = []\nbuild-backend = "evil_backend"\n'
                'backend-path = ["."]\n\n')
# REUSE-IgnoreStart
HEADER = "# SPDX-FileCopyrightText: 2026 modelgate contributors\n" \
         "# SPDX-License-Identifier: Apache-2.0\n"
# REUSE-IgnoreEnd


@dataclass(frozen=True)
class PrJob:
    """A pull request's checkout, its PR job's artifact and the base branch's config."""

    root: Path
    artifact: Path
    base_config: Path
    head: str
    report: AuditReport


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> PrJob:
    """`modelgate check` then `modelgate evidence`, as the PR job runs them."""
    root = make_workspace(tmp_path_factory.mktemp("pr"), licensed=True)
    config = load_config(root / "governance.yml")
    artifact = tmp_path_factory.mktemp("artifact")
    report = run_check(config, artifact, reporter=ConsoleReporter(io.StringIO())).report
    head = git(root, "rev-parse", "HEAD")
    write_evidence(config, artifact, repository=REPOSITORY, pr_number=PR, head_sha=head,
                   base_ref="main", workflow_run_id=1)
    base = tmp_path_factory.mktemp("base") / "governance.yml"
    shutil.copy2(fixture_config(), base)
    return PrJob(root, artifact, base, head, report)


def cli(*argv: str | Path) -> tuple[int, str]:
    """The command as `modelgate` runs it: a ModelgateError is one message and its code."""
    parser = argparse.ArgumentParser(prog="modelgate")
    parser.add_argument("--config", type=Path, default=Path("governance.yml"))
    cli_verdict.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    stream = io.StringIO()
    try:
        return int(args.handler(args, ConsoleReporter(stream))), stream.getvalue()
    except ModelgateError as exc:
        return int(exc.exit_code), str(exc)


def verdict_of(job: PrJob, tree: Path, artifact: Path, out: Path,
               *extra: str) -> tuple[int, AuditReport, Verdict]:
    code, _ = cli("verdict", "--pr-tree", tree, "--artifact", artifact, "--base-config",
                  job.base_config, "--out", out, *extra)
    report = AuditReport.model_validate_json((out / REPORT_FILE).read_bytes())
    return code, report, Verdict.model_validate_json((out / VERDICT_FILE).read_bytes())


def touch(marker: Path) -> str:
    """A line of Python that creates ``marker`` (split so bandit sees no /tmp literal)."""
    text = str(marker)
    return f"open({text[:1]!r} + {text[1:]!r}, 'w').close()\n"


def statuses(report: AuditReport) -> dict[str, str]:
    return {a.id: a.status for a in report.audits}


def pr_copy(job: PrJob, dest: Path) -> Path:
    """A second checkout of the PR (git history included), to change and commit."""
    shutil.copytree(job.root, dest, symlinks=True, ignore=shutil.ignore_patterns(".modelgate"))
    return dest


def commit(tree: Path, message: str) -> str:
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", message)
    return git(tree, "rev-parse", "HEAD")


def forge(job: PrJob, tree: Path, dest: Path, *, scores: list[float] | None = None,
          rows: dict[str, Any] | None = None, fingerprint_of_scores: bool = False) -> Path:
    """An artifact for the tree's head whose report says every audit passed (what a PR
    that rewrote its own audits would upload)."""
    shutil.copytree(job.artifact, dest)
    head, tree_sha = git(tree, "rev-parse", "HEAD"), git(tree, "rev-parse", "HEAD^{tree}")
    rows = rows or evaluation_rows(load_config(tree / "governance.yml"))
    preds = json.loads((job.artifact / PREDICTIONS_FILE).read_text())
    if scores is not None:
        preds["p_positive"] = scores
    report = job.report.model_copy(update={
        "commit": head, "data_sha256": rows["data_sha256"], "passed": True,
        "audits": [a.model_copy(update={"status": "pass"}) for a in job.report.audits]})
    if fingerprint_of_scores:
        report = report.model_copy(update={"model_fingerprint": fingerprint(
            np.asarray(preds["p_positive"], dtype=np.float64))})
    meta = RunMetadata.model_validate_json((job.artifact / METADATA_FILE).read_bytes())
    card = load_card_json((job.artifact / CARD_JSON_FILE).read_bytes())
    card = card.model_copy(update={"lineage": card.lineage.model_copy(update={"commit": head})})
    (dest / REPORT_FILE).write_text(report.model_dump_json(indent=2))
    (dest / METADATA_FILE).write_text(
        meta.model_copy(update={"head_sha": head, "tree_sha": tree_sha}).model_dump_json())
    (dest / CARD_JSON_FILE).write_text(card.model_dump_json(indent=2))
    (dest / EVAL_ROWS_FILE).write_text(json.dumps(rows))
    (dest / PREDICTIONS_FILE).write_text(json.dumps(preds))
    return dest


# --------------------------------------------------------------------------------- tests


def test_the_same_pr_gets_the_same_statuses_as_its_own_audits(job: PrJob,
                                                              tmp_path: Path) -> None:
    """Every audit the PR job ran, recomputed from its checkout and artifact as data,
    gives the same status; the report says who computed it, at which modelgate commit.
    ``servable`` is the one the trusted job cannot run: it would load the PR's model (the
    release runs it after retraining), so it is listed as advisory only."""
    code, report, verdict = verdict_of(job, job.root, job.artifact, tmp_path / "v",
                                       "--repository", REPOSITORY, "--pr", str(PR),
                                       "--head-sha", job.head)
    advisory = {k: v for k, v in statuses(job.report).items() if k != "servable"}
    assert statuses(report) == advisory and verdict.advisory_only == ["servable"]
    assert set(statuses(report).values()) == {"pass"}, [a.summary for a in report.failing()]
    assert code == ExitCode.OK and verdict.differs == [] and verdict.passed
    assert report.computed_by is not None
    assert report.computed_by.modelgate_commit == git(REPO, "rev-parse", "HEAD")
    assert report.commit == job.head and report.data_sha256 == job.report.data_sha256
    assert report.model_fingerprint == job.report.model_fingerprint
    assert "computed_by" not in json.loads((job.artifact / REPORT_FILE).read_text())
    # the folder reads as an artifact, so the report job can judge it against production
    again = load_artifact(tmp_path / "v")
    assert again.report == report and again.card.lineage.pull_request == PR
    assert (tmp_path / "v" / "model_card.md").is_file()
    assert (tmp_path / "v" / "checklist.md").read_text().count("- [x]") == 8


def test_a_pr_that_rewrote_its_pii_audit_still_fails_on_personal_data(
        job: PrJob, tmp_path: Path) -> None:
    """The PR replaces bot/check/audits/pii.py by one that always passes, adds e-mail
    addresses to its data and uploads a report saying all pass: the trusted verdict fails
    pii, names it, and never runs the PR's module."""
    marker = tmp_path / "pii-module-ran"
    tree = pr_copy(job, tmp_path / "pr")
    module = tree / "bot" / "check" / "audits" / "pii.py"
    module.parent.mkdir(parents=True)
    module.write_text(HEADER + touch(marker) + "\n\ndef run(ctx):\n    return 'pass'\n")
    data = tree / "data" / "breast_cancer.csv"
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    frame.insert(1, "contact", [f"patient{i}@example.com" for i in range(len(frame))])
    frame.to_csv(data, index=False)
    manifest_path = tree / "data" / "breast_cancer.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.update(sha256=hashlib.sha256(data.read_bytes()).hexdigest(),
                    columns=int(frame.shape[1]))
    manifest_path.write_text(json.dumps(manifest, indent=2))
    commit(tree, "Rewrite the pii audit")
    artifact = forge(job, tree, tmp_path / "artifact")

    code, report, verdict = verdict_of(job, tree, artifact, tmp_path / "v")
    assert code == ExitCode.FAILED and not marker.exists()
    assert statuses(report)["pii"] == "fail"
    assert verdict.passed_only_in_advisory == ["pii"] == verdict.differs
    assert verdict.advisory_passed is True and verdict.passed is False
    card = load_card_json((tmp_path / "v" / CARD_JSON_FILE).read_bytes())
    assert [c.status for c in card.checklist if c.id == "pii"] == ["fail"]


def test_claimed_scores_are_judged_as_claimed_and_bound_to_the_fingerprint(
        job: PrJob, tmp_path: Path) -> None:
    """Scores better than the real model's are judged on the claim (the release proves it
    by retraining), but only with the fingerprint of those scores in the report."""
    rows = json.loads((job.artifact / EVAL_ROWS_FILE).read_text())
    perfect = [0.99 if y == 1 else 0.01 for y in rows["y_true"]]
    artifact = forge(job, job.root, tmp_path / "a1", scores=perfect, fingerprint_of_scores=True)
    code, report, _ = verdict_of(job, job.root, artifact, tmp_path / "v1")
    gate = next(a for a in report.audits if a.id == "performance_gate")
    assert code == ExitCode.OK and gate.details["candidate"]["metrics"]["roc_auc"] == 1.0
    assert "claimed predictions" in gate.details["candidate_scores"]
    assert report.model_fingerprint == fingerprint(np.asarray(perfect))
    assert report.model_fingerprint != job.report.model_fingerprint  # what the release checks

    artifact = forge(job, job.root, tmp_path / "a2", scores=perfect)  # the real fingerprint
    _, report, _ = verdict_of(job, job.root, artifact, tmp_path / "v2")
    lineage = next(a for a in report.audits if a.id == "lineage")
    assert lineage.status == "fail" and "scores = claimed fingerprint" in lineage.summary


@pytest.mark.parametrize("change", ["value", "row"])
def test_rows_that_differ_from_the_rebuilt_split_fail_closed(
        job: PrJob, tmp_path: Path, change: str) -> None:
    """Evaluation rows other than the test split rebuilt from the PR's data (a changed
    value, a dropped row) give the claim no answer: gate and bias fail with the reason."""
    rows = json.loads((job.artifact / EVAL_ROWS_FILE).read_text())
    preds = json.loads((job.artifact / PREDICTIONS_FILE).read_text())
    if change == "value":
        rows["X"][3][0] += 1.0
    else:
        for key in ("ids", "y_true", "X"):
            rows[key] = rows[key][1:]
        for key in ("ids", "y_true", "p_positive"):
            preds[key] = preds[key][1:]
    artifact = forge(job, job.root, tmp_path / "a", rows=rows, scores=preds["p_positive"])
    if change == "row":
        (artifact / PREDICTIONS_FILE).write_text(json.dumps(preds))
    code, report, verdict = verdict_of(job, job.root, artifact, tmp_path / "v")
    assert code == ExitCode.FAILED
    for audit_id in ("performance_gate", "bias"):
        entry = next(a for a in report.audits if a.id == audit_id)
        assert entry.status == "fail" and "differ from the test split rebuilt" in entry.summary
    assert {"performance_gate", "bias", "lineage"} <= set(verdict.passed_only_in_advisory)
    assert any("differ from the test split rebuilt" in m for m in verdict.messages)
    assert not (tmp_path / "v" / PREDICTIONS_FILE).exists()  # nothing for the report job


def test_code_planted_in_the_pr_tree_never_runs(job: PrJob, tmp_path: Path) -> None:
    """conftest.py, setup.py, sitecustomize.py, packages named like the tools the audits
    start, and a build backend in pyproject.toml: none of them runs; the lock is read as
    TOML; the PR's own thresholds are not applied."""
    markers = tmp_path / "markers"
    markers.mkdir()
    tree = pr_copy(job, tmp_path / "pr")

    def plant(name: str) -> None:
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER + touch(markers / name.replace("/", "_")))

    for name in ("conftest.py", "setup.py", "sitecustomize.py", "usercustomize.py",
                 "evil_backend.py", "bandit/__init__.py", "bandit/__main__.py",
                 "reuse/__init__.py", "reuse/__main__.py", "detect_secrets.py"):
        plant(name)
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(re.sub(r"\[build-system\][^\[]*", EVIL_BACKEND, pyproject.read_text()))
    gov = yaml.safe_load((tree / "governance.yml").read_text())
    gov["metrics"]["floors"] = {"accuracy": 0.1}
    (tree / "governance.yml").write_text(HEADER + yaml.safe_dump(gov, sort_keys=False))
    commit(tree, "Plant code")
    artifact = forge(job, tree, tmp_path / "artifact")

    _, report, verdict = verdict_of(job, tree, artifact, tmp_path / "v")
    assert sorted(p.name for p in markers.iterdir()) == []
    security = next(a for a in report.audits if a.id == "security")
    assert security.details["dependencies"]["checked_with"] == [
        "pyproject.toml and uv.lock read as TOML"]
    assert security.details["bandit"]["files"] >= 7
    assert verdict.policy_ignored == ["metrics"]
    gate = next(a for a in report.audits if a.id == "performance_gate")
    assert gate.details["floors"] == {"accuracy": 0.9, "recall": 0.9, "roc_auc": 0.95}
    # the control: started from the tree without -P, a tool runs the PR's package instead
    subprocess.run([sys.executable, "-m", "reuse", "--version"], cwd=tree,
                   capture_output=True, check=False, timeout=60)
    assert sorted(p.name for p in markers.iterdir()) == ["reuse___init__.py", "reuse___main__.py"]


def test_bad_input_is_one_message_and_exit_2(job: PrJob, tmp_path: Path) -> None:
    bad_base = tmp_path / "governance.yml"
    bad_base.write_text("model: [")
    cases = [
        (("--pr-tree", tmp_path / "nope", "--artifact", job.artifact), "--pr-tree"),
        (("--pr-tree", job.root, "--artifact", tmp_path / "nope"), "--artifact"),
        (("--pr-tree", job.root, "--artifact", job.artifact, "--base-config", bad_base),
         "not valid YAML"),
        (("--pr-tree", job.root, "--artifact", job.artifact, "--out", job.root / "v"),
         "--out"),
        (("--pr-tree", job.root, "--artifact", job.artifact, "--modelgate-commit", "main"),
         "--modelgate-commit"),
    ]
    for args, text in cases:
        full = ["verdict", *args]
        if "--base-config" not in args:
            full += ["--base-config", job.base_config]
        if "--out" not in args:
            full += ["--out", tmp_path / "out"]
        code, message = cli(*full)
        assert code == ExitCode.USAGE and text in message, (args, message)
        assert "Traceback" not in message


def test_an_unusable_artifact_fails_every_audit_that_needs_it(job: PrJob,
                                                              tmp_path: Path) -> None:
    """A report that does not validate is no claim: the gate, bias and lineage fail with
    the reason, the file audits still run, and verdict.json has no advisory statuses."""
    artifact = shutil.copytree(job.artifact, tmp_path / "a")
    (artifact / REPORT_FILE).write_text('{"kind": "modelgate.audit_report"}')
    code, report, verdict = verdict_of(job, job.root, artifact, tmp_path / "v")
    assert code == ExitCode.FAILED and verdict.advisory_passed is None
    failing = {a.id for a in report.failing()}
    assert {"performance_gate", "bias", "lineage"} <= failing
    assert statuses(report)["pii"] == statuses(report)["security"] == "pass"
    assert verdict.advisory_problem and "audit_report.json" in verdict.advisory_problem


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda gov: gov["data"].update(path="../../../etc/hostname"), "must stay inside the tree"),
    (lambda gov: gov["split"].update(test_size=3), "governance.yml cannot be used"),
])
def test_a_pr_definition_that_cannot_be_used_fails_the_data_audits(
        job: PrJob, tmp_path: Path, edit: Any, reason: str) -> None:
    """Data outside the tree or an invalid governance.yml: every audit on data fails with
    the reason, the code audits still run, and nothing outside the tree is read."""
    tree = pr_copy(job, tmp_path / "pr")
    gov = yaml.safe_load((tree / "governance.yml").read_text())
    edit(gov)
    (tree / "governance.yml").write_text(HEADER + yaml.safe_dump(gov, sort_keys=False))
    commit(tree, "Change the model definition")
    code, report, verdict = verdict_of(job, tree, job.artifact, tmp_path / "v")
    assert code == ExitCode.FAILED
    for audit_id in ("pii", "leakage", "bias", "performance_gate", "lineage"):
        entry = next(a for a in report.audits if a.id == audit_id)
        assert entry.status == "fail" and reason in entry.summary, entry.summary
    assert statuses(report)["security"] == statuses(report)["ip_headers"] == "pass"
    assert any(reason in m for m in verdict.messages)


# ------------------------------------------------------------------------- fast unit tests


def test_the_claimed_predictor_answers_only_for_its_rows() -> None:
    X = np.array([[1.0, 2.0], [3.0, 4.0], [3.0, 4.0]])
    pred = ClaimedPredictor.of(X, [0.2, 0.7, 0.7], "f" * 64)
    assert pred.predict_positive(X[[1, 0]]).tolist() == [0.7, 0.2]
    with pytest.raises(EvidenceMissing, match="1 of the 2 rows"):
        pred.predict_positive(np.array([[1.0, 2.0], [5.0, 6.0]]))
    split = ClaimedPredictor.of(X, [0.2, 0.7, 0.6], "f" * 64)
    with pytest.raises(EvidenceMissing, match="different scores"):
        split.predict_positive(X[1:2])


def test_a_tree_without_git_is_walked_and_links_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "link.py").symlink_to(tmp_path / "a.py")
    (tmp_path / "linked_dir").symlink_to(tmp_path / "outside")
    tree = read_tree(tmp_path)
    assert tree.listed_by == "walk" and tree.head is None
    assert tree.files == ("a.py",) and set(tree.skipped) == {"link.py", "linked_dir"}
