# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate.serving.local.serve``: the same app under uvicorn on 127.0.0.1
(``modelgate serve``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.serving_support import export, fitted, record

SERVE = ("import sys; from modelgate.serving.local import serve; "
         "serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]))")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, body: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, data=body, method="POST" if body else "GET",
                                 headers={"content-type": "application/json",
                                          "x-request-id": "local-1"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


@pytest.mark.slow
def test_serve_answers_on_localhost(tmp_path: Path) -> None:
    """serve(bundle_dir, host, port) serves /health and /predict over real HTTP."""
    export(tmp_path / "bundle")
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(tmp_path / "bundle"), str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, health = _request(f"{base}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert (status, health["status"], health["model_version"]) == (200, "ready", "7")
        fit = fitted()
        body = json.dumps({"features": record(fit.X_test[0])}).encode()
        status, headers, out = _request(f"{base}/predict", body)
        assert status == 200 and headers["x-request-id"] == "local-1"
        expected = float(fit.p_positive(fit.X_test[:1])[0])
        assert out["probability_positive_class"] == pytest.approx(expected, abs=1e-9)
        status, _, err = _request(f"{base}/predict", b'{"features": {"mean_radius": NaN}}')
        assert status == 422 and err["error"] == "invalid_features"
    finally:
        proc.terminate()
        out_text, _ = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in out_text.decode().splitlines() if line.startswith("{")]
    assert [d["status"] for d in lines if d["event"] == "request"][-2:] == [200, 422]
