# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate evidence``: turn the PR job's output directory into the audit artifact.

The PR job is untrusted, so what it hands to the trusted jobs is data only: the report,
checklist and card written by ``check``, plus ``run_metadata.json`` (which PR, head, tree
and workflow run), the candidate's predictions on the pinned evaluation set and those
rows' features (so a trusted job can score the production bundle on the same rows
without loading anything the PR produced).
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - fixed git argv
from pathlib import Path
from typing import Any

from modelgate.bot.check.artifact import RunMetadata
from modelgate.bot.check.report import (
    EVAL_ROWS_FILE,
    METADATA_FILE,
    PREDICTIONS_FILE,
    REPORT_FILE,
    AuditReport,
)
from modelgate.errors import ModelgateError
from modelgate.governance import LoadedConfig
from modelgate.training.data import load_dataset, split_dataset


class EvidenceError(ModelgateError):
    """The evidence cannot be assembled; the message says what is missing."""


def git_tree(root: Path, sha: str) -> str:
    done = subprocess.run(  # nosec B603 B607 - git with fixed arguments
        ["git", "rev-parse", f"{sha}^{{tree}}"], cwd=root, capture_output=True, text=True,
        timeout=30, check=False)
    if done.returncode != 0:
        raise EvidenceError(f"commit {sha} is not in the repository at {root}: "
                            f"{done.stderr.strip()}")
    return done.stdout.strip()


def evaluation_rows(config: LoadedConfig) -> dict[str, Any]:
    """The pinned evaluation set as plain data: ids, labels and features in order."""
    dataset = load_dataset(config)
    split = split_dataset(dataset, config.governance)
    return {
        "schema_version": 1,
        "data_sha256": dataset.sha256,
        "features": list(dataset.features),
        "ids": [str(i) for i in dataset.ids[split.test]],
        "y_true": [int(v) for v in dataset.y[split.test]],
        "X": dataset.X[split.test].tolist(),
    }


def write_evidence(config: LoadedConfig, out_dir: Path, *, repository: str, pr_number: int,
                   head_sha: str, base_ref: str, workflow_run_id: int,
                   workflow_run_attempt: int = 1) -> RunMetadata:
    """Add metadata, evaluation rows and candidate predictions next to the report."""
    report_path = out_dir / REPORT_FILE
    if not report_path.is_file():
        raise EvidenceError(f"{report_path} not found: run `modelgate check` first")
    report = AuditReport.model_validate_json(report_path.read_bytes())
    if report.commit != head_sha:
        raise EvidenceError(f"the report was made at {report.commit}, not at the PR head "
                            f"{head_sha}: check out the PR head before `modelgate check`")
    metadata = RunMetadata(repository=repository, pr_number=pr_number, head_sha=head_sha,
                           base_ref=base_ref, tree_sha=git_tree(config.root, head_sha),
                           workflow_run_id=workflow_run_id,
                           workflow_run_attempt=workflow_run_attempt)
    (out_dir / METADATA_FILE).write_text(metadata.model_dump_json(indent=2), encoding="utf-8")
    rows = evaluation_rows(config)
    if rows["data_sha256"] != report.data_sha256:
        raise EvidenceError("the data changed after `modelgate check` ran")
    (out_dir / EVAL_ROWS_FILE).write_text(json.dumps(rows), encoding="utf-8")
    if report.run_id is None:
        raise EvidenceError("the report names no training run")
    from modelgate.training import tracking

    client = tracking.configure(config)
    local = client.download_artifacts(report.run_id, "evaluation/predictions.json")
    (out_dir / PREDICTIONS_FILE).write_bytes(Path(local).read_bytes())
    return metadata
