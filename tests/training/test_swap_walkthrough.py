# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""docs/your-own-model.md "Swap in your own data and training code", followed literally:
its shell and YAML blocks, in order, in a copy of this repository without data/ and
governance.yml, from the team's CSV to a prediction answered by the served model."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, git
from tests.workspace_support import copy_without_team_files, length_of_stay_csv

DOC = REPO / "docs" / "your-own-model.md"
SECTION = "## Swap in your own data and training code"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\n", re.M | re.S)
# the ports the doc names; the test gives each a free one so parallel tests cannot collide
DOC_PORTS = ("5000", "8080")


def section_text() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def doc_steps(section: str) -> list[tuple[str, str]]:
    """In the doc's order: ``("run", command)`` for each ``$`` line of a console block
    (continuation lines joined; output lines skipped), ``("write:NAME", text)`` for a block
    whose info string names a file (``title="governance.yml"``)."""
    steps: list[tuple[str, str]] = []
    for lang, info, body in FENCE.findall(section):
        title = re.search(r'title="([^"]+)"', info)
        if title:
            steps.append((f"write:{title.group(1)}", body))
        elif lang == "console":
            command: list[str] = []
            for line in body.splitlines():
                if line.startswith("$ "):
                    command = [line[2:]]
                elif command and command[-1].endswith("\\"):
                    command.append(line)
                else:
                    continue
                if not command[-1].endswith("\\"):
                    steps.append(("run", "\n".join(command)))
                    command = []
    return steps


def script_of(steps: list[tuple[str, str]], ports: dict[str, str]) -> str:
    lines = ["set -euo pipefail"]
    for kind, text in steps:
        if kind.startswith("write:"):
            name = kind.removeprefix("write:")
            lines.append(f"cat > {shlex.quote(name)} <<'MODELGATE_DOC_EOF'\n{text}"
                         "MODELGATE_DOC_EOF")
        else:
            for doc_port, port in ports.items():
                text = re.sub(rf"\b{doc_port}\b", port, text)
            lines.append(f"echo '>>> step' >&2\n{text}")
    return "\n".join(lines) + "\n"


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def empty_copy(dest: Path) -> Path:
    """This repository's tracked files without data/ and governance.yml, committed: a
    team's repository with the example removed."""
    copy_without_team_files(dest)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "modelgate, without the example model")
    return dest


def test_the_section_is_shell_and_yaml_the_test_can_run() -> None:
    steps = doc_steps(section_text())
    runs = [text for kind, text in steps if kind == "run"]
    assert [kind for kind, _ in steps if kind != "run"] == ["write:governance.yml"]
    assert runs[0] == "mkdir -p data"
    assert any(r.startswith("modelgate data add data/stays.csv") for r in runs)
    assert runs[-1].startswith("curl -s -X POST http://127.0.0.1:8080/predict")


@pytest.mark.slow
def test_the_walkthrough_ends_in_a_served_prediction(tmp_path: Path) -> None:
    """Every command of the section exits 0, and the served model answers /predict with a
    length of stay close to the one the team's data was generated from."""
    repo = empty_copy(tmp_path / "team")
    home = tmp_path / "home"
    (home / "exports").mkdir(parents=True)
    (home / "exports" / "stays.csv").write_text(
        length_of_stay_csv(seed=11, first_id=200000, noise=0.5))  # the CSV the doc copies
    ports = {p: free_port() for p in DOC_PORTS}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLFLOW_", "AWS_", "MODELGATE_", "GITHUB_", "PYTEST_"))}
    # the secret scan's per-file cache stays the machine's (~/.cache/modelgate), as a
    # team's would: HOME moves only to hold the CSV the doc copies
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    env.update(HOME=str(home), XDG_CACHE_HOME=cache,
               PATH=f"{REPO / '.venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
               GIT_AUTHOR_NAME="Team", GIT_AUTHOR_EMAIL="team@example.com",
               GIT_COMMITTER_NAME="Team", GIT_COMMITTER_EMAIL="team@example.com")
    script = script_of(doc_steps(section_text()), ports)
    proc = subprocess.Popen(["bash", "-c", script], cwd=repo, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=480)
    finally:
        # the servers the doc starts in the background, and anything left of the script
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    assert proc.returncode == 0, f"{err[-3000:]}\n{out[-3000:]}"
    answer = json.loads(out.strip().splitlines()[-1])
    assert answer["unit"] == "days"
    # 1 + 0.05 * 67 + 2.0 * 1.4 + 0.01 * 88 = 8.03 days, by the generating formula
    assert abs(answer["prediction"] - 8.03) < 0.5, answer
