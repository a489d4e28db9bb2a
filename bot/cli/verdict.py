# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate verdict``: the trusted verdict on a pull request's checkout and artifact.

Run it with the default branch's modelgate (the console script, or ``python -P``), never
from inside the checkout it judges, in a job with no write token and no secret.

Exit codes: 0 every audit passed; 1 an audit failed (the report says which, and
``verdict.json`` names those the PR job's own audits passed); 2 bad input (a missing
``--pr-tree`` or ``--artifact``, an unusable ``--base-config``, ``--out`` inside the tree);
70 a bug in modelgate (see ``modelgate verdict --help``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from modelgate.errors import ExitCode
from modelgate.progress import Reporter

HELP = ("recompute every audit verdict with this (trusted) modelgate, reading a pull "
        "request's checkout and its PR job's artifact as data")


def cmd_verdict(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.check.verdict import run_verdict

    result = run_verdict(
        args.pr_tree, args.artifact, args.base_config or args.config, args.out,
        head_sha=args.head_sha, repository=args.repository, pr_number=args.pr,
        commit_of_modelgate=args.modelgate_commit, reporter=rep, timeout_s=args.audit_timeout)
    report, verdict = result.report, result.verdict
    for row in verdict.audits:
        mark = "" if row.trusted == row.advisory else f"  (PR job said {row.advisory})"
        print(f"  [{'x' if row.trusted == 'pass' else ' '}] {row.id:<17} {row.trusted:<5}{mark}")
    if verdict.passed_only_in_advisory:
        print("the PR job's own audits passed what the trusted verdict fails: "
              + ", ".join(verdict.passed_only_in_advisory))
    print(f"{'all audits passed' if report.passed else 'AUDITS FAILED'} (trusted verdict, "
          f"modelgate {verdict.computed_by.modelgate_commit[:12]}); report, card, checklist "
          f"and verdict.json in {result.out_dir}")
    return ExitCode.OK if report.passed else ExitCode.FAILED


def register(sub: Any) -> None:
    p = sub.add_parser("verdict", help=HELP)
    p.add_argument("--pr-tree", type=Path, required=True,
                   help="the pull request's checkout (read as data, never run)")
    p.add_argument("--artifact", type=Path, required=True,
                   help="the PR job's modelgate-audit artifact (a folder or a zip)")
    p.add_argument("--base-config", type=Path,
                   help="the base branch's governance.yml: thresholds and roles "
                        "(default: --config)")
    p.add_argument("--out", type=Path, default=Path("verdict"),
                   help="output folder, outside the tree (default: ./verdict)")
    p.add_argument("--head-sha", help="the PR head the workflow expects; the checkout and "
                   "the artifact must both be at it")
    p.add_argument("--repository", help="owner/name the artifact must belong to")
    p.add_argument("--pr", type=int, help="the pull request the artifact must belong to")
    p.add_argument("--modelgate-commit",
                   help="this modelgate's commit, when it does not run from a git checkout")
    p.add_argument("--audit-timeout", type=float, default=300.0,
                   help="seconds each audit may take before it counts as failed")
    p.set_defaults(handler=cmd_verdict)
