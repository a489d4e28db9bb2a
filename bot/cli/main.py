# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate``: the one command line every workflow and every person uses.

Each subcommand is a thin adapter: parse arguments, build collaborators (config, MLflow,
GitHub, boto3 clients) once, call one function, print its result. Every failure modelgate
expects is a :class:`~modelgate.errors.ModelgateError`: :func:`main` catches it once,
prints its message and exits with its code, never with a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from modelgate.errors import ExitCode, ModelgateError, describe_exit_codes
from modelgate.governance import CONFIG_FILENAME, load_config
from modelgate.progress import Reporter, reporter_from_env


def _metrics_table(metrics: dict[str, float]) -> str:
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in metrics.items())
    return f"| metric | value |\n| --- | --- |\n{rows}"


def cmd_train(args: argparse.Namespace, rep: Reporter) -> int:
    from training.train import TrainingError, train

    config = load_config(args.config)
    try:
        result = train(config, tracking_uri=args.tracking_uri, reporter=rep)
    except TrainingError as exc:  # its own title; anything else goes to main()
        rep.error(str(exc), title="training failed")
        return exc.exit_code
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"run id:   {result.run_id}")
        print(f"model:    {result.model_name} version {result.version}")
        print(f"data:     sha256 {result.data_sha256}")
        print(f"commit:   {result.commit}{' (dirty tree)' if result.dirty else ''}")
        for name, value in result.metrics.items():
            print(f"{name:>9}: {value:.4f}")
    rep.summary(
        f"### modelgate train: {result.model_name} v{result.version}\n\n"
        f"Run `{result.run_id}` at commit `{result.commit[:12]}`, data sha256 "
        f"`{result.data_sha256[:16]}`.\n\n{_metrics_table(result.metrics)}"
    )
    return ExitCode.OK


def cmd_check(args: argparse.Namespace, rep: Reporter) -> int:
    from bot.check.pipeline import run_check

    config = load_config(args.config)
    out = args.out if args.out.is_absolute() else config.root / args.out
    result = run_check(config, out, tracking_uri=args.tracking_uri, reporter=rep,
                       timeout_s=args.audit_timeout)
    report = result.report
    print(f"model {report.model_name} v{report.model_version}  run {report.run_id}  "
          f"commit {report.commit[:12]}")
    for entry in report.audits:
        print(f"  [{'x' if entry.status == 'pass' else ' '}] {entry.id:<17} {entry.status:<5} "
              f"{entry.summary}")
    print(f"{'all audits passed' if report.passed else 'AUDITS FAILED'}; "
          f"report, checklist and card in {out}")
    return ExitCode.OK if report.passed else ExitCode.FAILED


def cmd_validate_config(args: argparse.Namespace, rep: Reporter) -> int:
    config = load_config(args.config)
    rep.info(f"{config.path}: valid (model {config.governance.model.name}, "
             f"{len(config.governance.data.features)} features, "
             f"{len(config.governance.approval.roles)} roles)")
    return ExitCode.OK


Handler = Callable[[argparse.Namespace, Reporter], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelgate",
        description="Train, audit, approve, promote, serve and trace a governed model.",
        epilog=f"exit status:\n{describe_exit_codes()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, default=Path(CONFIG_FILENAME),
                        help="path to governance.yml (default: ./governance.yml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="run the governed training and register a model version")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (overrides governance.yml "
                   "and MLFLOW_TRACKING_URI)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("check", help="train, run every audit and write the model card")
    p.add_argument("--tracking-uri", help="MLflow tracking URI")
    p.add_argument("--out", type=Path, default=Path("out"),
                   help="output directory, relative to governance.yml (default: out)")
    p.add_argument("--audit-timeout", type=float, default=300.0,
                   help="seconds each audit may take before it counts as failed")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("validate-config", help="validate governance.yml and exit")
    p.set_defaults(handler=cmd_validate_config)

    # one module per family of subcommands, each adding its own parsers
    from bot.cli import deploy as cli_release
    from bot.cli import doctor as cli_doctor
    from bot.cli import drift as cli_drift
    from bot.cli import handle as cli_github
    from bot.cli import release as cli_road
    from bot.cli import verdict as cli_verdict

    for family in (cli_github, cli_release, cli_road, cli_drift, cli_verdict, cli_doctor):
        family.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, reporter: Reporter | None = None) -> int:
    """Run one command; a :class:`ModelgateError` is one message and its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    rep = reporter or reporter_from_env()
    handler: Handler = args.handler
    try:
        return handler(args, rep)
    except ModelgateError as exc:
        rep.error(str(exc), title=f"modelgate {args.command}")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
