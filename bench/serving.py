# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Serving latency and cold start, measured side by side in one run.

    .venv/bin/python bench/serving.py [--requests 10000] [--json out.json] [--check]

What is timed (wall clock, ``time.perf_counter_ns``, one request at a time, as Lambda runs):

* **full**: ``modelgate.serving.handler`` (Mangum + FastAPI + validation + ONNX Runtime + the JSON
  request log, written to ``/dev/null`` with a flush per line as on stdout) called with an
  HTTP API v2 event, as Lambda calls it. Not through starlette's TestClient, which alone
  costs several times the handler.
* **bare**: the lower bound: ``json.loads`` of the same event body, a numpy dot product
  with the same model folded into one linear function, a sigmoid, ``json.dumps``.

Each scenario (one record; a batch of 1,000) alternates blocks of bare and full calls, so
both see the same machine load; the ratio is what the targets speak to. Three views of
each: ``all`` requests' wall time; ``quiet``, the wall time of requests during which the
OS did not switch the thread out for another process (on a shared machine those are
someone else's latency; a Lambda sandbox runs one request at a time); ``cpu``, the
thread's CPU time. The load average is printed with the table.

Cold start runs fresh interpreters, interleaved (min and median of 7 each):
``import modelgate.serving.handler`` (which loads and verifies the bundle) plus the first request,
beside ``import numpy`` alone in the same interpreter and tree, for

* **python3.11, repository**: serving's sources with the venv's packages (this machine);
* **python3.12, zip as shipped**: the deploy zip ``modelgate package`` builds (bytecode
  compiled by a 3.12 interpreter, found as the release job finds it or given with
  ``--python``), unzipped and run by python3.12 with bytecode writing off, as on Lambda's
  read-only ``/var/task``; also with the signed release statement checked
  (``MODELGATE_STATEMENT_PUBKEY`` set, a locally generated key);
* **python3.12, zip sources only**: the same tree without its bytecode (what a zip
  built without a 3.12 interpreter ships).

Targets: 1 record full p50 <= 9x bare p50; 1,000 records full p50 <= 1.3x bare p50
(features logged); full p99 <= 2x full p50; the shipped zip's cold start <= 4x its numpy
import; with the statement verified <= 1.10x without (medians).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # the repository root instead of bench/, as for the tests

BATCH = 1000
P50_RATIO_TARGETS = {"1 record": 9.0, f"{BATCH} records": 1.3}
P99_OVER_P50_TARGET = 2.0
COLD_RATIO_TARGET = 4.0
COLD_RUNS = 7
VERIFY_COLD_TARGET = 1.10
RUNTIME_PYTHON = "3.12"

RUSAGE_THREAD = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Row:
    scenario: str
    path: str
    min_us: float
    p50_us: float
    p99_us: float
    requests_per_s: float
    samples: int


def _event(body: bytes) -> dict[str, Any]:
    """An HTTP API (payload 2.0) POST /predict, as API Gateway sends it."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/predict", "rawQueryString": "",
        "headers": {"content-type": "application/json", "content-length": str(len(body)),
                    "host": "abc123.execute-api.us-east-1.amazonaws.com",
                    "x-forwarded-proto": "https", "x-forwarded-port": "443",
                    "user-agent": "bench"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "example",
            "http": {"method": "POST", "path": "/predict", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "bench"},
            "requestId": "bench", "routeKey": "$default", "stage": "$default",
            "time": "23/Nov/2026:09:30:00 +0000", "timeEpoch": 0},
        "body": body.decode("utf-8"), "isBase64Encoded": False,
    }


def build_bundle(out: Path) -> tuple[Any, tuple[str, ...], NDArray[np.float64]]:
    """Fit the configured pipeline on the shipped data and export its bundle."""
    from modelgate.governance import load_config
    from modelgate.infra.bundle import BundleMeta, export_bundle
    from modelgate.training.data import load_dataset, split_dataset
    from modelgate.training.estimator import build_estimator

    config = load_config(REPO / "governance.yml")
    gov = config.governance
    data = load_dataset(config)
    split = split_dataset(data, gov)
    pipeline = build_estimator(gov.estimator).fit(data.X[split.train], data.y[split.train])
    export_bundle(
        pipeline, features=data.features, out_dir=out, eval_X=data.X[split.test],
        clock=lambda: datetime.now(UTC),
        meta=BundleMeta(model_name=gov.model.name, model_version="1", alias="bench",
                        run_id="bench", commit="bench", data_sha256=data.sha256,
                        threshold=gov.estimator.threshold,
                        positive_class=gov.data.target.positive_class,
                        negative_class=gov.data.target.negative_class))
    return pipeline, data.features, data.X[split.test]


def bare_handler(pipeline: Any, features: tuple[str, ...]) -> Handler:
    """json parse + numpy dot + sigmoid, with the same (linear) model folded into w, b."""
    scaler, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    if len(pipeline.steps) != 2 or not hasattr(scaler, "scale_") or not hasattr(model, "coef_"):
        raise SystemExit("the bare lower bound folds a StandardScaler + linear classifier into "
                         f"one dot product; governance.yml configures {pipeline.steps}")
    w = model.coef_[0] / scaler.scale_
    b = float(model.intercept_[0] - np.sum(model.coef_[0] * scaler.mean_ / scaler.scale_))

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        doc = json.loads(event["body"])
        rows = [doc["features"]] if "features" in doc else doc["records"]
        X = np.array([[r[f] for f in features] for r in rows])
        p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        body = json.dumps({"probability_positive_class": p.tolist()})
        return {"statusCode": 200, "headers": {"content-type": "application/json"},
                "body": body}

    return handler


def _timed(fn: Handler, event: dict[str, Any]) -> tuple[int, int, bool]:
    """Wall and thread-CPU nanoseconds of one call, and whether the OS switched this
    thread out meanwhile (another process took the CPU)."""
    switches = resource.getrusage(RUSAGE_THREAD).ru_nivcsw
    cpu = time.thread_time_ns()
    t = time.perf_counter_ns()
    fn(event, None)
    wall = time.perf_counter_ns() - t
    cpu = time.thread_time_ns() - cpu
    return wall, cpu, resource.getrusage(RUSAGE_THREAD).ru_nivcsw != switches


def _row(scenario: str, path: str, samples: list[tuple[int, int, bool]], view: str) -> Row:
    if view == "cpu":
        kept = [cpu for _, cpu, _ in samples]
    else:
        kept = [wall for wall, _, preempted in samples if view == "all" or not preempted]
    if not kept:  # every long request was preempted at least once
        return Row(scenario, f"{path} {view}", math.nan, math.nan, math.nan, math.nan, 0)
    us = np.array(kept, dtype=np.float64) / 1000.0
    return Row(scenario, f"{path} {view}", float(us.min()), float(np.percentile(us, 50)),
               float(np.percentile(us, 99)), 1e6 / float(us.mean()), len(kept))


VIEWS = ("all", "quiet", "cpu")


def measure(scenario: str, handlers: dict[str, Handler], event: dict[str, Any], *,
            requests: int, block: int) -> list[Row]:
    """Alternate the paths in blocks of ``block`` requests, so both see the same machine
    load over the run while each runs in its own steady state (warm caches), as a busy
    Lambda container does; report wall time of all requests, wall time of the requests
    the OS did not preempt ("quiet"), and the thread's CPU time."""
    for fn in handlers.values():  # warm up both paths
        for _ in range(block):
            fn(event, None)
    samples: dict[str, list[tuple[int, int, bool]]] = {name: [] for name in handlers}
    for _ in range(max(1, requests // block)):
        for name, fn in handlers.items():
            samples[name].extend(_timed(fn, event) for _ in range(block))
    return [_row(scenario, name, got, view) for view in VIEWS
            for name, got in samples.items()]


COLD_HANDLER = """
import json, sys, time
t = time.perf_counter()
from modelgate.serving.handler import handler
r = handler(json.loads(sys.stdin.read()), None)
elapsed = time.perf_counter() - t
assert r["statusCode"] == 200, r
sys.stderr.write(json.dumps({"seconds": elapsed}) + "\\n")
"""
COLD_NUMPY = """
import json, sys, time
t = time.perf_counter()
import numpy
sys.stderr.write(json.dumps({"seconds": time.perf_counter() - t}) + "\\n")
"""


def sign_copy(bundle: Path, out: Path) -> str:
    """A copy of the bundle with a release statement signed by a fresh key; its PEM."""
    import shutil

    from cryptography.hazmat.primitives.asymmetric import ec

    from modelgate.bot.release import statement as st
    from modelgate.bot.release.signing import KeySigner

    shutil.copytree(bundle, out)
    signer = KeySigner(ec.generate_private_key(ec.SECP256R1()))
    facts = st.ReleaseFacts(
        repository="bench/bench", pull_request=1, audited_head="a" * 40, merge_commit="b" * 40,
        tree="c" * 40, governance_ref="d" * 40, governance_sha256="e" * 64,
        audit_report_sha256="f" * 64, audit_passed=True, audit_commit="a" * 40,
        verdicts={"bench": "pass"}, model_name="bench", model_version="1", alias="bench",
        run_id="bench", data_sha256="0" * 64, lock_sha256="1" * 64,
        model_fingerprint="2" * 64, released_at="2026-12-01T00:00:00+00:00")
    st.attest(out, facts, signer)
    return signer.public_pem()


@dataclass(frozen=True)
class ColdSetup:
    """One way of running the handler: interpreter, import path, and whether its bundle
    carries a statement to verify."""

    label: str
    python: str
    path: Path
    env: dict[str, str]


@dataclass
class ColdRow:
    label: str
    handler_min_s: float
    handler_median_s: float
    numpy_min_s: float
    numpy_median_s: float

    @property
    def ratio_min(self) -> float:
        return self.handler_min_s / self.numpy_min_s

    @property
    def ratio_median(self) -> float:
        return self.handler_median_s / self.numpy_median_s


def shipped_trees(work: Path, python: str | None) -> tuple[Path, Path, str] | None:
    """The deploy zip unzipped (with its bytecode) and a copy without bytecode, and the
    interpreter that compiled it; None (and why, printed) without a 3.12 interpreter."""
    import shutil
    import zipfile

    from modelgate.infra.package import build_package

    report = build_package(REPO, work / "serving.zip", python=python)
    if not report.compiled_by:
        print("cold start of the shipped zip not measured: " + "; ".join(report.warnings))
        return None
    print(f"deploy zip: {report.zip_bytes / 2**20:.1f} MiB, {report.bytecode_files} "
          f"bytecode files compiled by {report.compiled_by}")
    shipped, sources = work / "task", work / "task-sources"
    with zipfile.ZipFile(report.zip_path) as archive:
        archive.extractall(shipped)
    shutil.copytree(shipped, sources)
    for cache in sorted(sources.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    return shipped, sources, report.compiled_by


def cold_start(setups: list[ColdSetup], event: dict[str, Any]) -> list[ColdRow]:
    """Min and median seconds, in fresh interpreters, of handler import + first request
    and of ``import numpy``, per setup, interleaved so all see the same machine load."""
    def run(setup: ColdSetup, script: str) -> float:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(setup.path),
               "PYTHONDONTWRITEBYTECODE": "1", **setup.env}
        done = subprocess.run([setup.python, "-s", "-c", script], input=json.dumps(event),
                              capture_output=True, text=True, env=env, check=True,
                              timeout=120)
        return float(json.loads(done.stderr.strip().splitlines()[-1])["seconds"])

    runs: dict[str, tuple[list[float], list[float]]] = {s.label: ([], []) for s in setups}
    for _ in range(COLD_RUNS):
        for setup in setups:
            runs[setup.label][0].append(run(setup, COLD_HANDLER))
            runs[setup.label][1].append(run(setup, COLD_NUMPY))
    return [ColdRow(label, min(h), statistics.median(h), min(n), statistics.median(n))
            for label, (h, n) in runs.items()]


def _devnull_sink() -> Callable[[str], None]:
    fh = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the benchmark

    def sink(line: str) -> None:
        fh.write(line + "\n")
        fh.flush()

    return sink


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000,
                        help="requests per path for one record (a hundredth for the batch)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--python", default=None,
                        help=f"Python {RUNTIME_PYTHON} interpreter for the shipped zip "
                             "(default: found as modelgate package finds it)")
    args = parser.parse_args(argv)

    from modelgate.serving.app import create_app
    from modelgate.serving.handler import make_handler
    from modelgate.serving.settings import Settings

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="modelgate-bench-") as tmp:
        bundle = Path(tmp) / "bundle"
        pipeline, features, X_test = build_bundle(bundle)
        full = make_handler(create_app(Settings(bundle_uri=str(bundle)),
                                       log_sink=_devnull_sink()))
        bare = bare_handler(pipeline, features)
        one = _event(json.dumps({"features": dict(zip(features, X_test[0].tolist(),
                                                              strict=True))}).encode())
        rows_batch = np.resize(X_test, (BATCH, X_test.shape[1]))
        batch = _event(json.dumps({"records": [dict(zip(features, r, strict=True))
                                               for r in rows_batch.tolist()]}).encode())
        # the two paths must compute the same thing
        p_full = json.loads(full(one, None)["body"])["probability_positive_class"]
        p_bare = json.loads(bare(one, None)["body"])["probability_positive_class"][0]
        assert abs(p_full - p_bare) < 1e-9, (p_full, p_bare)
        assert full(batch, None)["statusCode"] == 200

        gc.collect()
        gc.freeze()  # as modelgate.serving.handler does at the end of its init phase
        rows = measure("1 record", {"bare": bare, "full": full}, one,
                       requests=args.requests, block=100)
        rows += measure(f"{BATCH} records", {"bare": bare, "full": full}, batch,
                        requests=max(20, args.requests // 100), block=5)
        gc.unfreeze()
        signed = Path(tmp) / "signed"
        pem = sign_copy(bundle, signed)
        plain_env = {"MODELGATE_BUNDLE_URI": str(bundle)}
        signed_env = {"MODELGATE_BUNDLE_URI": str(signed), "MODELGATE_STATEMENT_PUBKEY": pem}
        setups = [ColdSetup("python3.11, repository", sys.executable, REPO,
                            plain_env)]
        trees = shipped_trees(Path(tmp), args.python)
        if trees is not None:
            shipped, sources, python = trees
            setups += [
                ColdSetup(f"python{RUNTIME_PYTHON}, zip as shipped", python, shipped,
                          plain_env),
                ColdSetup(f"python{RUNTIME_PYTHON}, zip as shipped, statement verified",
                          python, shipped, signed_env),
                ColdSetup(f"python{RUNTIME_PYTHON}, zip sources only", python, sources,
                          plain_env),
            ]
        cold = cold_start(setups, one)

    load = os.getloadavg()[0]
    print(f"load average (1 min) at the start {load_before:.2f}, at the end {load:.2f}, "
          f"on {os.cpu_count()} CPUs\n")
    print(f"{'scenario':<13} {'path':<11} {'n':>6} {'min µs':>10} {'p50 µs':>10} "
          f"{'p99 µs':>10} {'req/s':>8} {'min/bare':>9} {'p50/bare':>9} {'p99/p50':>8}")
    bare_rows = {(r.scenario, r.path.split()[1]): r for r in rows if r.path.startswith("bare")}
    verdicts: list[tuple[str, bool]] = []
    for r in rows:
        path, view = r.path.split()
        if not r.samples:
            print(f"{r.scenario:<13} {r.path:<11} {0:>6}   (every request was preempted)")
            continue
        base = bare_rows[(r.scenario, view)]
        ratio, ratio_min = r.p50_us / base.p50_us, r.min_us / base.min_us
        print(f"{r.scenario:<13} {r.path:<11} {r.samples:>6} {r.min_us:>10.1f} "
              f"{r.p50_us:>10.1f} {r.p99_us:>10.1f} {r.requests_per_s:>8.0f} "
              f"{ratio_min:>8.2f}x {ratio:>8.2f}x {r.p99_us / r.p50_us:>7.2f}x")
        if path == "full" and view != "cpu":
            target = P50_RATIO_TARGETS[r.scenario]
            verdicts.append((f"{r.scenario}, {view}: full p50 <= {target:g}x bare p50 "
                             f"({ratio:.2f}x)", ratio <= target))
            verdicts.append((f"{r.scenario}, {view}: full p99 <= {P99_OVER_P50_TARGET:g}x "
                             f"its p50 ({r.p99_us / r.p50_us:.2f}x)",
                             r.p99_us <= P99_OVER_P50_TARGET * r.p50_us))
    print(f"\ncold start, import modelgate.serving.handler + first request vs import numpy, "
          f"min / median of {COLD_RUNS} fresh interpreters each:")
    print(f"{'':<52} {'handler ms':>15} {'numpy ms':>13} {'ratio':>13}")
    for c in cold:
        print(f"{c.label:<52} {c.handler_min_s * 1000:>6.0f} / {c.handler_median_s * 1000:>6.0f}"
              f" {c.numpy_min_s * 1000:>5.0f} / {c.numpy_median_s * 1000:>5.0f}"
              f" {c.ratio_min:>5.2f}x / {c.ratio_median:.2f}x")
    by_label = {c.label: c for c in cold}
    shipped_row = by_label.get(f"python{RUNTIME_PYTHON}, zip as shipped")
    verified_row = by_label.get(f"python{RUNTIME_PYTHON}, zip as shipped, statement verified")
    if shipped_row is None or verified_row is None:
        verdicts.append((f"cold start of the shipped zip measured with python{RUNTIME_PYTHON}",
                         False))
    else:
        verdicts.append((f"shipped zip cold start <= {COLD_RATIO_TARGET:g}x numpy import "
                         f"({shipped_row.ratio_median:.2f}x)",
                         shipped_row.ratio_median <= COLD_RATIO_TARGET))
        verify_ratio = verified_row.handler_median_s / shipped_row.handler_median_s
        verdicts.append((f"cold start with the statement verified <= {VERIFY_COLD_TARGET:g}x "
                         f"without ({verify_ratio:.3f}x)", verify_ratio <= VERIFY_COLD_TARGET))
    print()
    for text, ok in verdicts:
        print(f"  [{'met' if ok else 'MISSED'}] {text}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows],
                                         "cold": [asdict(c) for c in cold],
                                         "targets": dict(verdicts)}, indent=2))
    return 0 if all(ok for _, ok in verdicts) or not args.check else 1

if __name__ == "__main__":
    sys.exit(main())
