# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Keyed pseudonyms for the ids that training writes into run artifacts."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

from modelgate import ids

SSNS = ["536228411", "412550193"]


def test_sensitive_unless_the_manifest_says_otherwise() -> None:
    """It treats ids as sensitive unless the manifest declares them not (fail closed)."""
    assert ids.ids_sensitive({})
    assert ids.ids_sensitive({"id_column_sensitive": True})
    assert ids.ids_sensitive({"id_column_sensitive": "no"})
    assert not ids.ids_sensitive({"id_column_sensitive": False})


def test_the_environment_key_wins(tmp_path: Path) -> None:
    """It takes MODELGATE_ID_KEY when set and writes no key file."""
    key, source = ids.id_key(tmp_path, {ids.KEY_VARIABLE: "ci-secret"})
    assert (key, source) == (b"ci-secret", "env")
    assert not (tmp_path / ids.KEY_FILE).exists()


def test_a_repository_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    """It makes a random per-repository key on first use, readable by its owner only,
    and returns the same key afterwards; another repository gets another key."""
    key, source = ids.id_key(tmp_path, {})
    assert source == "file" and len(key) == 2 * ids.KEY_BYTES
    mode = stat.S_IMODE((tmp_path / ids.KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert ids.id_key(tmp_path, {})[0] == key
    assert ids.id_key(tmp_path / "other", {})[0] != key


def test_pseudonyms_are_hmac_sha256_and_hide_the_ids(tmp_path: Path) -> None:
    """It writes HMAC-SHA256 pseudonyms for sensitive ids, the same for the same key, and
    says which key made them without revealing it."""
    env = {ids.KEY_VARIABLE: "k1"}
    written, fields = ids.artifact_ids(SSNS, {}, tmp_path, env)
    expected = hmac.new(b"k1", SSNS[0].encode(), hashlib.sha256).hexdigest()
    assert written[0] == ids.PREFIX + expected
    assert not any(s in "".join(written) for s in SSNS)
    assert not any(hashlib.sha256(s.encode()).hexdigest() in written[i]
                   for i, s in enumerate(SSNS))  # keyed: not a plain hash of the id
    assert fields == {"id_scheme": "hmac-sha256", "id_key_id": ids.key_id(b"k1")}
    assert "k1" not in fields["id_key_id"]
    assert ids.artifact_ids(SSNS, {}, tmp_path, env)[0] == written
    assert ids.artifact_ids(SSNS, {}, tmp_path, {ids.KEY_VARIABLE: "k2"})[0] != written


def test_ids_declared_not_sensitive_stay_raw(tmp_path: Path) -> None:
    """It leaves ids raw (and makes no key) when the manifest declares them not sensitive."""
    written, fields = ids.artifact_ids([842302, 8510426], {"id_column_sensitive": False},
                                       tmp_path, {})
    assert written == ["842302", "8510426"] and fields == {"id_scheme": "raw"}
    assert not (tmp_path / ids.KEY_FILE).exists()
