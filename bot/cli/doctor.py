# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate doctor``: read the repository's settings and say, line by line, what is
missing for the gate to be sound, with the exact setting to change.

    modelgate doctor [--repo OWNER/NAME] [--api-url URL]

Token: GITHUB_TOKEN or GH_TOKEN; a repository admin's token reads everything (a
fine-grained token needs Administration, Actions, Environments, Variables and Secrets:
read, and Metadata). The App's installation can only be read as the App itself: set
MODELGATE_APP_PRIVATE_KEY to the App's private key (PEM) and doctor signs a short JWT
with it, for that one call; without it that check reports "cannot read".

Exit status: 0 sound (risks may be listed), 1 unsound (a line marked ✗), 2 bad usage (no
token, bad --repo, invalid governance.yml or workflow file), 4 some settings could not be
read and nothing read was unsound (each such line names the permission to add), 70 a
bug in modelgate.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from modelgate.bot.doctor.core import MARKS, Finding, diagnose, verdict
from modelgate.bot.doctor.read import gather
from modelgate.bot.doctor.workflows import WorkflowReadError, workflow_uses
from modelgate.bot.github.settings import (
    PyGithubSettings,
    SettingsReadError,
    SettingsUnavailable,
    connect,
)
from modelgate.errors import ExitCode, UsageError
from modelgate.governance import CONFIG_FILENAME, ConfigError, load_config
from modelgate.progress import Reporter, reporter_from_env

EXIT_SOUND = ExitCode.OK
EXIT_UNSOUND = ExitCode.FAILED
EXIT_USAGE = ExitCode.USAGE
EXIT_CANNOT_READ = ExitCode.GITHUB_FAILED
EXIT_FOR_VERDICT = {"sound": EXIT_SOUND, "unsound": EXIT_UNSOUND,
                    "unreadable": EXIT_CANNOT_READ}
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_REQUEST_INTERVAL = 0.25
JWT_LIFETIME_S = 540  # GitHub accepts at most 10 minutes
JWT_BACKDATE_S = 60  # clock drift, as GitHub's docs advise
REPO_RE = re.compile(r"^[\w.-]+/[\w.-]+$")
TITLE = "modelgate doctor"

MSG_NO_TOKEN = "no token: set GITHUB_TOKEN or GH_TOKEN (a repository admin's token reads " \
               "every setting)"
MSG_NO_REPO = "which repository? pass --repo OWNER/NAME or set GITHUB_REPOSITORY"
MSG_BAD_REPO = "--repo must be OWNER/NAME, got {value!r}"
MSG_NO_APP_ID = "MODELGATE_APP_PRIVATE_KEY is set but governance.yml github.app_id is not"
MSG_BAD_KEY = "MODELGATE_APP_PRIVATE_KEY is not a usable private key: {error}"
MSG_CANNOT_READ_REPO = "{error}"
MSG_HEADER = "modelgate doctor: {repo}, release branch {branch!r}, App {slug!r} (id {app_id})"
MSG_VERDICT = {"sound": "sound: the gate holds ({count} checks)",
               "unsound": "UNSOUND: {failed} of {count} checks fail; change the settings above",
               "unreadable": "cannot tell: {unknown} checks could not be read; give the token "
                             "the permissions named above"}

JwtFactory = Callable[[int, str], str]


class DoctorUsageError(UsageError):
    """The command cannot start: a missing token, a bad argument, an unusable key."""


def mint_app_jwt(app_id: int, private_key: str, now: float | None = None) -> str:
    """A JWT that authenticates as the App (RS256, issued a minute ago, valid 9 minutes)."""
    import jwt

    issued = int(time.time() if now is None else now) - JWT_BACKDATE_S
    payload = {"iat": issued, "exp": issued + JWT_BACKDATE_S + JWT_LIFETIME_S,
               "iss": str(app_id)}
    try:
        return jwt.encode(payload, private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise DoctorUsageError(MSG_BAD_KEY.format(error=exc)) from exc


def _client(token: str, api_url: str, interval: float, *, app: bool = False) -> Any:
    return connect(token, api_url, interval=interval, app=app)


def _repo(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    repo = args.repo or env.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise DoctorUsageError(MSG_NO_REPO)
    if not REPO_RE.match(repo):
        raise DoctorUsageError(MSG_BAD_REPO.format(value=repo))
    return repo


def render(findings: Sequence[Finding]) -> list[str]:
    """One line per finding (✓ ✗ ! ?), each failure followed by its fix."""
    return [f.line() for f in findings]


def _summary(findings: Sequence[Finding], header: str) -> str:
    rows = "\n".join(
        f"| {MARKS[f.status]} | `{f.check}` | {f.message} | "
        f"{f.fix if f.status != 'ok' else ''} |" for f in findings)
    return f"### {header}\n\n| | check | finding | fix |\n| --- | --- | --- | --- |\n{rows}"


def cmd_doctor(args: argparse.Namespace, rep: Reporter, *,
               env: Mapping[str, str] | None = None,
               jwt_factory: JwtFactory = mint_app_jwt) -> int:
    """Build the clients once, read the settings, judge them, print the findings."""
    env = os.environ if env is None else env
    api_url = (args.api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    try:
        config = load_config(args.config)
        section = config.governance.github
        repo = _repo(args, env)
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
        if not token:
            raise DoctorUsageError(MSG_NO_TOKEN)
        uses = workflow_uses(args.workflows_root or config.root)
        app = None
        key = env.get("MODELGATE_APP_PRIVATE_KEY")
        if key:
            if section.app_id is None:
                raise DoctorUsageError(MSG_NO_APP_ID)
            app = _client(jwt_factory(section.app_id, key), api_url, args.request_interval,
                          app=True)
    except (ConfigError, DoctorUsageError, WorkflowReadError) as exc:
        rep.error(str(exc), title=TITLE)
        return EXIT_USAGE
    api = PyGithubSettings(_client(token, api_url, args.request_interval), repo, app=app)
    try:
        with rep.step(f"Read the settings of {repo}"):
            settings, expect = gather(api, section, uses)
    except SettingsUnavailable as exc:
        rep.error(MSG_CANNOT_READ_REPO.format(error=exc), title=TITLE)
        return EXIT_CANNOT_READ
    except SettingsReadError as exc:
        rep.error(f"{exc} ({api_url})", title=TITLE)
        return EXIT_CANNOT_READ
    findings = diagnose(settings, expect)
    header = MSG_HEADER.format(repo=settings.repo, branch=expect.release_branch,
                               slug=expect.app_slug, app_id=expect.app_id)
    print(header)
    for line in render(findings):
        print(line)
    outcome = verdict(findings)
    counts = {"count": len(findings),
              "failed": sum(f.status == "fail" for f in findings),
              "unknown": sum(f.status == "unknown" for f in findings)}
    print(MSG_VERDICT[outcome].format(**counts))
    rep.summary(_summary(findings, header))
    return EXIT_FOR_VERDICT[outcome]


def register(sub: Any) -> None:
    """Add ``doctor`` to the ``modelgate`` parser."""
    p = sub.add_parser("doctor", help="check that the repository's settings make the gate "
                       "sound")
    p.add_argument("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY)")
    p.add_argument("--api-url", help=f"GitHub API URL (default: GITHUB_API_URL or "
                   f"{DEFAULT_API_URL})")
    p.add_argument("--workflows-root", type=Path, default=None,
                   help="the checkout whose .github/workflows are read for vars and secrets "
                   "(default: the folder of governance.yml)")
    p.add_argument("--request-interval", type=float, default=DEFAULT_REQUEST_INTERVAL,
                   help=f"seconds between requests (default: {DEFAULT_REQUEST_INTERVAL}, "
                   "PyGithub's pacing)")
    p.set_defaults(handler=cmd_doctor)


def main(argv: Sequence[str] | None = None, *, reporter: Reporter | None = None) -> int:
    """``python -m modelgate.bot.cli.doctor [--config FILE] doctor ...`` until main.py lists it."""
    parser = argparse.ArgumentParser(prog="modelgate")
    parser.add_argument("--config", type=Path, default=Path(CONFIG_FILENAME))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register(sub)
    args = parser.parse_args(argv)
    result: int = args.handler(args, reporter or reporter_from_env())
    return result


if __name__ == "__main__":
    raise SystemExit(main())
