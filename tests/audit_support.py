# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Helpers for the audit tests: a network that refuses everything but loopback, audit
contexts built from a data frame written into a temporary project, and small git repos."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from modelgate.bot.check.audits.base import AuditContext, Predictor
from modelgate.governance import load_config
from modelgate.training.data import load_dataset, split_dataset
from tests.workspace_support import DATA_CSV, DATA_MANIFEST, fixture_tree

LOOPBACK = ("127.", "::1", "localhost")


class NetworkBlocked(OSError):
    """Raised for any connection attempt to a non-loopback address during a test."""


def _host_of(address: Any) -> str:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address)


def block_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse and record every non-loopback connection or DNS lookup made in-process."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo
    real_create_connection = socket.create_connection

    def allowed(host: str) -> bool:
        return host.startswith(LOOPBACK) or host == ""

    def guard(host: str) -> None:
        if not allowed(host):
            attempts.append(host)
            raise NetworkBlocked(f"network access to {host!r} during an audit test")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(_host_of(address))
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(_host_of(address))
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        guard(_host_of(address))
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        guard("" if host is None else str(host))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def shipped_frame() -> pd.DataFrame:
    """The tests' WDBC data (the same rows the shipped example uses, read from the
    fixtures, never from the repository's data/)."""
    return pd.read_csv(fixture_tree() / DATA_CSV, dtype=str, keep_default_na=False)


def build_context(
    tmp_path: Path,
    frame: pd.DataFrame | None = None,
    *,
    governance: Callable[[dict[str, Any]], None] | None = None,
    manifest: Callable[[dict[str, Any]], None] | None = None,
    candidate: Predictor | None = None,
    root: Path | None = None,
) -> AuditContext:
    """An audit context over ``frame`` (default: the tests' WDBC data) in a temporary
    project, with the tests' governance.yml edited by ``governance``."""
    frame = shipped_frame() if frame is None else frame
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True, exist_ok=True)
    data_path = project / "data" / "data.csv"
    frame.to_csv(data_path, index=False)
    shipped_manifest = json.loads((fixture_tree() / DATA_MANIFEST).read_text())
    raw = dict(shipped_manifest)
    raw.update(
        file="data.csv",
        sha256=hashlib.sha256(data_path.read_bytes()).hexdigest(),
        rows=int(frame.shape[0]),
        columns=int(frame.shape[1]),
    )
    if manifest is not None:
        manifest(raw)
    (project / "data" / "data.manifest.json").write_text(json.dumps(raw, indent=2))
    gov = yaml.safe_load((fixture_tree() / "governance.yml").read_text())
    gov["data"]["path"] = "data/data.csv"
    gov["data"]["manifest"] = "data/data.manifest.json"
    if governance is not None:
        governance(gov)
    config_path = project / "governance.yml"
    config_path.write_text(yaml.safe_dump(gov, sort_keys=False))
    config = load_config(config_path)
    dataset = load_dataset(config)
    return AuditContext(
        root=project if root is None else root,
        config=config,
        commit="0" * 40,
        dataset=dataset,
        split=split_dataset(dataset, config.governance),
        candidate=candidate,
    )


def shipped_context(*, candidate: Predictor | None = None) -> AuditContext:
    """The tests' configuration and WDBC data, in their read-only folder."""
    config = load_config(fixture_tree() / "governance.yml")
    dataset = load_dataset(config)
    return AuditContext(
        root=fixture_tree(),
        config=config,
        commit="0" * 40,
        dataset=dataset,
        split=split_dataset(dataset, config.governance),
        candidate=candidate,
    )


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git_repo(path: Path, files: Mapping[str, str | bytes]) -> Path:
    """A git repository at ``path`` holding ``files``, all added and committed."""
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    for name, content in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "fixture"], cwd=path, check=True, env=env)
    return path


def rows_with(frame: pd.DataFrame, column: str, values: list[str]) -> pd.DataFrame:
    """``frame`` with a new text ``column`` whose first rows hold ``values`` (others blank)."""
    out = frame.copy()
    filled = np.array([""] * len(out), dtype=object)
    filled[: len(values)] = values
    out[column] = filled
    return out
