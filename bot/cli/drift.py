# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate drift``: compare served traffic with a model version's training baseline.

    modelgate drift --log FILE... [--engine scan|duckdb|spark] [--since ISO] [--until ISO]
    modelgate drift --cloudwatch [--function NAME] [--since ISO] [--until ISO]
        [--model-version N] [--out DIR] [--github-issue]

Exit status: 0 no drift, 1 drift, 2 bad input (no baseline, no logs in the window, an
unknown version, unreadable files), 3 insufficient data (fewer scored records than
``drift.min_requests``: neither pass nor fail), 4 the report was written but the GitHub
issue could not be (the report's verdict is then only in the files and the summary),
5 MLflow or AWS failed a call. These are :class:`modelgate.errors.ExitCode` members;
failures are raised as :class:`~modelgate.errors.ModelgateError` carrying 2, 4 or 5, for
``modelgate`` to print.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modelgate.bot.cli.support import aws_errors, boto3_client, mlflow_errors
from modelgate.bot.drift import sql
from modelgate.bot.drift.issue import BOT_LOGIN, sync_drift_issue
from modelgate.bot.drift.report import render_markdown, write_report
from modelgate.bot.drift.stats import (
    MSG_BAD_WINDOW,
    OUTCOME_DRIFT,
    OUTCOME_INSUFFICIENT,
    OUTCOME_NO_DRIFT,
    DriftInputError,
    DriftResult,
    Line,
    LogScan,
    ModelVersionRef,
    SourceInfo,
    Statistics,
    assess,
    cloudwatch_lines,
    file_lines,
    load_baseline,
    parse_instant,
    resolve_version,
    scan_sources,
    train_reference,
)
from modelgate.bot.github.api import GitHubApi, PyGithubApi
from modelgate.errors import ExitCode
from modelgate.governance import ConfigError, LoadedConfig, load_config
from modelgate.infra.cloudwatch import function_log_group
from modelgate.progress import Reporter
from modelgate.training.data import DataError

EXIT_NO_DRIFT = ExitCode.OK
EXIT_DRIFT = ExitCode.FAILED
EXIT_BAD_INPUT = ExitCode.USAGE
EXIT_INSUFFICIENT = ExitCode.INSUFFICIENT_DATA
EXIT_GITHUB = ExitCode.GITHUB_FAILED
EXIT_FOR_OUTCOME = {OUTCOME_NO_DRIFT: EXIT_NO_DRIFT, OUTCOME_DRIFT: EXIT_DRIFT,
                    OUTCOME_INSUFFICIENT: EXIT_INSUFFICIENT}

DEFAULT_WINDOW = timedelta(hours=24)
DEFAULT_OUT = Path("drift-report")
DEFAULT_API_URL = "https://api.github.com"

MSG_NO_FILE = "{path}: log file not found"
MSG_NOT_FILE = "{path}: not a regular file"
MSG_GITHUB_ENV = ("--github-issue needs {missing} in the environment (a token that may write "
                  "issues, and owner/repo)")
MSG_RESULT = "{outcome}: model {name} version {version}; report {path}"
MSG_ISSUE = "drift issue #{number}: {action} ({url})"
MSG_DRIFTED = "drifted: {what}"
MSG_BAD_INSTANT = "not an ISO 8601 date and time: {text!r}"
ENGINES = ("scan", "duckdb", "spark")
OBJECT_STORE_PREFIXES = ("s3://", "s3a://")
MSG_ENGINE_CLOUDWATCH = ("--engine {engine} reads --log files or S3 objects; --cloudwatch is "
                         "read by the streaming scan (--engine scan)")
MSG_OBJECT_STORE_SCAN = ("{path}: the streaming scan reads local files; read S3 objects with "
                         "--engine duckdb or --engine spark")
MSG_NO_PYSPARK = ("--engine spark needs pyspark and Java 17 or newer: pip install pyspark "
                  "(or run under spark-submit on the cluster)")


@dataclass(frozen=True)
class DriftOptions:
    """What to compare: log files or a CloudWatch window, and which model version."""

    logs: tuple[Path | str, ...] = ()  # local files, or S3 URIs for the SQL engines
    cloudwatch: bool = False
    function_name: str | None = None
    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    model_version: str | None = None
    tracking_uri: str | None = None
    engine: str = "scan"


def _window(options: DriftOptions, clock: Callable[[], datetime]) -> tuple[datetime | None,
                                                                           datetime | None]:
    """The window as given; for CloudWatch, defaults (the last ``DEFAULT_WINDOW``)."""
    since, until = options.since, options.until
    if options.cloudwatch:
        until = until or clock()
        since = since or until - DEFAULT_WINDOW
    if since and until and since >= until:
        raise DriftInputError(MSG_BAD_WINDOW.format(since=since.isoformat(),
                                                    until=until.isoformat()))
    return since, until


def _check_files(paths: Sequence[Path | str], engine: str) -> None:
    """Local files must exist; an S3 URI is the SQL engines' to read."""
    for path in paths:
        if str(path).startswith(OBJECT_STORE_PREFIXES):
            if engine == "scan":
                raise DriftInputError(MSG_OBJECT_STORE_SCAN.format(path=path))
            continue
        if not Path(path).exists():
            raise DriftInputError(MSG_NO_FILE.format(path=path))
        if not Path(path).is_file():
            raise DriftInputError(MSG_NOT_FILE.format(path=path))


def _file_sources(paths: Sequence[Path | str]) -> list[tuple[str, Iterable[Line]]]:
    _check_files(paths, "scan")
    return [(str(path), file_lines(Path(path))) for path in paths]


def _log_argument(text: str) -> Path | str:
    """A path, or an S3 URI kept as written (``Path`` would fold its ``//``)."""
    return text if text.startswith(OBJECT_STORE_PREFIXES) else Path(text)


def local_spark_session() -> Any:
    """The session ``--engine spark`` runs on: the cluster's under spark-submit, else Spark
    in local mode on this machine's cores."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise DriftInputError(MSG_NO_PYSPARK) from exc
    return (SparkSession.builder.appName("modelgate-drift")
            .config("spark.ui.enabled", "false").getOrCreate())


def run_drift(config: LoadedConfig, options: DriftOptions, *, mlflow_client: Any,
              logs_client: Any = None,
              spark_session: Callable[[], Any] = local_spark_session,
              clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> DriftResult:
    """The whole check, with its collaborators passed in: resolve the version, read its
    baseline, compute the statistics with ``options.engine`` (the streaming scan, or one
    SQL pass by DuckDB or Spark: the same bins, tests/drift), judge. Raises
    ``DriftInputError`` on bad input."""
    gov = config.governance
    if options.cloudwatch and options.engine != "scan":
        raise DriftInputError(MSG_ENGINE_CLOUDWATCH.format(engine=options.engine))
    since, until = _window(options, clock)
    model = resolve_version(mlflow_client, gov.model.name, version=options.model_version,
                            alias=gov.aliases.production,
                            uri=config.tracking_uri(options.tracking_uri))
    baseline = load_baseline(mlflow_client, model,
                             types={f.name: f.type for f in gov.data.specs},
                             class_names=gov.class_names)
    stamp = {"since": since.isoformat() if since else None,
             "until": until.isoformat() if until else None}
    if options.cloudwatch and since and until:
        group = function_log_group(options.function_name or gov.deploy.function_name)
        region = options.region or gov.deploy.region
        sources: list[tuple[str, Iterable[Line]]] = [
            (group, cloudwatch_lines(logs_client, group, since, until, region=region))]
        source = SourceInfo("cloudwatch", (group,), since=stamp["since"], until=stamp["until"])
        scan = LogScan(baseline, model_name=model.name, model_version=model.version)
    elif options.engine != "scan":
        _check_files(options.logs, options.engine)
        source = SourceInfo("files", tuple(str(p) for p in options.logs),
                            since=stamp["since"], until=stamp["until"], engine=options.engine)
        reference = train_reference(config, model, baseline)
        paths = [str(p) for p in options.logs]
        if options.engine == "duckdb":
            stats: Statistics = sql.duckdb_statistics(
                paths, baseline, model_name=model.name, model_version=model.version,
                since=since, until=until)
        else:
            stats = sql.spark_statistics(
                spark_session(), paths, baseline, model_name=model.name,
                model_version=model.version, since=since, until=until)
        return assess(stats, model, gov.drift, source=source, reference=reference,
                      generated_at=clock(), threshold=_threshold(model, config))
    else:
        sources = _file_sources(options.logs)
        source = SourceInfo("files", tuple(str(p) for p in options.logs),
                            since=stamp["since"], until=stamp["until"])
        scan = LogScan(baseline, model_name=model.name, model_version=model.version,
                       since=since, until=until)
    reference = train_reference(config, model, baseline)
    scan_sources(scan, sources)
    return assess(scan, model, gov.drift, source=source, reference=reference,
                  generated_at=clock(), threshold=_threshold(model, config))


def _threshold(model: ModelVersionRef, config: LoadedConfig) -> float:
    return model.threshold if model.threshold is not None else config.governance.estimator.threshold


def _details_url(env: Mapping[str, str]) -> str | None:
    parts = [env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if all(parts):
        return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}"
    return None


def _github_api(env: Mapping[str, str]) -> GitHubApi:
    """The adapter for the issue, built before anything is read (nothing is requested yet)."""
    missing = [k for k in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(k)]
    if missing:
        raise DriftInputError(MSG_GITHUB_ENV.format(missing=" and ".join(missing)))
    try:
        return PyGithubApi.connect(env["GITHUB_REPOSITORY"], env["GITHUB_TOKEN"],
                                   api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL)
    except ValueError as exc:  # GITHUB_REPOSITORY that is not owner/name
        raise DriftInputError(str(exc)) from exc


def _options(args: argparse.Namespace) -> DriftOptions:
    return DriftOptions(
        logs=tuple(args.log or ()), cloudwatch=args.cloudwatch, function_name=args.function,
        region=args.region, since=args.since, until=args.until,
        model_version=args.model_version, tracking_uri=args.tracking_uri, engine=args.engine)


def cmd_drift(args: argparse.Namespace, rep: Reporter, *,
              env: Mapping[str, str] | None = None,
              clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    """Build the collaborators once, run the check, write the report, sync the issue."""
    from mlflow import MlflowClient

    env = os.environ if env is None else env
    try:
        config = load_config(args.config)
        api = _github_api(env) if args.github_issue else None
        uri = config.tracking_uri(args.tracking_uri)
        logs_client = None
        if args.cloudwatch:
            logs_client = boto3_client("logs", args.region or config.governance.deploy.region)
        with (rep.step("Compare served traffic with the training baseline"),
              aws_errors(), mlflow_errors()):
            result = run_drift(config, _options(args), clock=clock, logs_client=logs_client,
                               mlflow_client=MlflowClient(tracking_uri=uri, registry_uri=uri))
    except (ConfigError, DataError) as exc:  # exit 1 elsewhere; bad input (2) for drift
        raise DriftInputError(str(exc)) from exc
    positive = config.governance.data.target.positive_class
    details = _details_url(env)
    files = write_report(result, args.out, positive_class=positive, details_url=details)
    summary = render_markdown(result, charts=False, positive_class=positive, details_url=details)
    rep.summary(summary)
    print(MSG_RESULT.format(outcome=result.outcome, name=result.model.name,
                            version=result.model.version, path=files.markdown))
    if result.outcome == OUTCOME_DRIFT:
        what = [*result.drifted_features, *(["prediction"] if result.prediction_drifted else [])]
        print(MSG_DRIFTED.format(what=", ".join(what)))
    for message in result.messages:
        rep.warning(message, title="modelgate drift")
    if api is not None:
        synced = sync_drift_issue(api, result, summary, bot_login=args.bot_login)
        if synced.number is not None:
            print(MSG_ISSUE.format(number=synced.number, action=synced.action, url=synced.url))
    return EXIT_FOR_OUTCOME[result.outcome]


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(MSG_BAD_INSTANT.format(text=text)) from None


def register(sub: Any) -> None:
    """Add ``drift`` to the ``modelgate`` parser."""
    p = sub.add_parser(
        "drift", help="compare served inputs and predictions with the training baseline")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--log", nargs="+", type=_log_argument, metavar="FILE",
                        help="serving request log files (JSON lines), read in order; with "
                        "--engine duckdb or spark also gzip parts and S3 objects (s3://, "
                        "s3a://)")
    source.add_argument("--cloudwatch", action="store_true",
                        help="read the function's CloudWatch log group instead")
    p.add_argument("--engine", choices=ENGINES, default="scan",
                   help="what computes the statistics of --log: scan (default; streams the "
                   "files in this process), duckdb (one SQL pass on every core; local files "
                   "or s3:// objects) or spark (the same query on Spark: local mode, or the "
                   "cluster under spark-submit; s3a:// prefixes). Same bins whichever: "
                   "docs/drift-at-scale.md")
    p.add_argument("--function", help="Lambda function name (default: deploy.function_name)")
    p.add_argument("--region", help="AWS region (default: deploy.region)")
    p.add_argument("--since", type=_instant, help="window start, ISO 8601 (UTC if no zone; "
                   "CloudWatch default: 24 hours before --until)")
    p.add_argument("--until", type=_instant, help="window end, ISO 8601 (CloudWatch "
                   "default: now)")
    p.add_argument("--model-version", help="model version (default: the one under the "
                   "production alias, else the latest)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"report directory (default: {DEFAULT_OUT})")
    p.add_argument("--github-issue", action="store_true", help="open or update the version's "
                   "drift issue (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL)")
    p.add_argument("--bot-login", default=BOT_LOGIN,
                   help=f"the login the token writes as (default: {BOT_LOGIN}); only its "
                   "issues count")
    p.set_defaults(handler=cmd_drift)

