# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The audit artifact is untrusted input: hostile archives and documents are refused with
a message that names the file and the problem, and nothing is ever written to disk."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from modelgate.bot.check.artifact import (
    ArtifactError,
    Limits,
    RunMetadata,
    StaleArtifact,
    load_artifact,
    load_artifact_bytes,
    parse_json,
    read_zip,
)
from modelgate.bot.check.report import CARD_JSON_FILE, METADATA_FILE, REPORT_FILE
from tests.bot_support import REPO, artifact_files, make_card, make_report, write_dir, zip_of

HEAD = "1" * 40
PR = 7


def good() -> dict[str, bytes]:
    return artifact_files(HEAD, PR)


def info(name: str, *, mode: int = 0o100644) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name)
    entry.external_attr = mode << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def test_a_valid_zip_is_read_and_validated() -> None:
    """The three documents come back as typed, cross-checked values."""
    artifact = load_artifact_bytes(zip_of(good()))
    assert artifact.report.commit == artifact.metadata.head_sha == HEAD
    assert artifact.card.lineage.commit == HEAD
    artifact.check_belongs(repository=REPO, pr_number=PR, head_sha=HEAD)


def test_a_directory_is_read_the_same_way(tmp_path: Path) -> None:
    """What actions/download-artifact unpacks is accepted as well."""
    folder = write_dir(tmp_path / "art", {**good(), "model_card.md": b"# not read"})
    assert load_artifact(folder).metadata.pr_number == PR


def test_unknown_files_are_ignored_and_markdown_is_never_read() -> None:
    """The PR job's Markdown is not used; extra evidence files do no harm."""
    files = {**good(), "model_card.md": b"<script>alert(1)</script>", "plot.png": b"\x89PNG"}
    assert read_zip(zip_of(files)).keys() == {REPORT_FILE, METADATA_FILE, CARD_JSON_FILE}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../audit_report.json", "'..' would leave the artifact"),
        ("reports/../../x.json", "'..' would leave the artifact"),
        ("/etc/passwd", "absolute paths are not allowed"),
        ("C:/Windows/win.ini", "absolute paths are not allowed"),
        ("..\\evil.json", "backslashes"),
        ("x\n::add-mask::y.json", "control characters"),
    ],
)
def test_names_that_leave_the_artifact_are_refused(name: str, message: str) -> None:
    """Zip-slip names are refused before anything is read."""
    with pytest.raises(ArtifactError, match=message):
        load_artifact_bytes(zip_of([*good().items(), (name, b"{}")]))


def test_a_symlink_member_is_refused() -> None:
    """A member stored as a symbolic link could point anywhere on the runner."""
    link = info("model_card.json", mode=stat.S_IFLNK | 0o777)
    with pytest.raises(ArtifactError, match="symbolic link"):
        read_zip(zip_of([(link, b"/etc/passwd")]))


def test_duplicate_names_are_refused() -> None:
    """Two members with one name: which one a reader sees is not defined, so neither."""
    files = good()
    with pytest.raises(ArtifactError, match="appears twice"), pytest.warns(UserWarning):
        read_zip(zip_of([*files.items(), (REPORT_FILE, files[REPORT_FILE])]))


def test_too_many_files_are_refused() -> None:
    entries = [*good().items(), *((f"f{i}.txt", b"x") for i in range(70))]
    with pytest.raises(ArtifactError, match="entries; at most 64"):
        read_zip(zip_of(entries))


def test_an_oversized_member_is_refused() -> None:
    """A declared size over the limit is refused without inflating anything."""
    with pytest.raises(ArtifactError, match="at most 1000"):
        read_zip(zip_of({REPORT_FILE: b" " * 5000}), Limits(member_bytes=1000))


def test_a_zip_bomb_with_a_lying_header_is_refused() -> None:
    """A member that claims 10 bytes but inflates to megabytes is stopped while reading."""
    data = bytearray(zip_of({REPORT_FILE: b"0" * 3_000_000}))
    # Patch the uncompressed size in the local header and the central directory.
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 10)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)
    with pytest.raises(ArtifactError, match=r"cannot be read|inflates past"):
        read_zip(bytes(data), Limits(member_bytes=1000))


def test_the_total_inflated_size_is_capped() -> None:
    files = {f"part{i}.bin": b"0" * 900 for i in range(5)}
    with pytest.raises(ArtifactError, match="inflates past 3000 bytes"):
        read_zip(zip_of(files), Limits(member_bytes=1000, total_bytes=3000))


def test_an_oversized_download_is_refused() -> None:
    with pytest.raises(ArtifactError, match="at most 100"):
        load_artifact_bytes(zip_of(good()), Limits(zip_bytes=100))


def test_an_encrypted_member_is_refused() -> None:
    data = bytearray(zip_of(good()))
    central = data.find(b"PK\x01\x02")
    flags = struct.unpack_from("<H", data, central + 8)[0]
    struct.pack_into("<H", data, central + 8, flags | 0x1)
    with pytest.raises(ArtifactError, match="encrypted"):
        read_zip(bytes(data))


def test_bytes_that_are_not_a_zip_are_refused() -> None:
    with pytest.raises(ArtifactError, match="not a zip archive"):
        load_artifact_bytes(b"<html>Not Found</html>")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"\xef\xbb\xbf{}", "byte-order mark"),
        (b'{"a": NaN}', "NaN is not JSON"),
        (b'{"a": 1, "a": 2}', "key 'a' appears twice"),
        (b"[" * 100_000, "nested too deeply|not valid JSON"),
        (b"{", "not valid JSON"),
    ],
)
def test_json_that_is_not_plain_json_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        parse_json(REPORT_FILE, data)


def test_a_document_that_breaks_its_schema_is_refused_with_the_field() -> None:
    files = good()
    files[METADATA_FILE] = files[METADATA_FILE].replace(b'"pr_number": 7', b'"pr_number": "7"')
    with pytest.raises(ArtifactError, match=r"run_metadata.json: invalid at pr_number"):
        load_artifact_bytes(zip_of(files))


def test_unknown_keys_are_refused() -> None:
    files = good()
    files[REPORT_FILE] = files[REPORT_FILE].replace(b"{", b'{"extra": 1,', 1)
    with pytest.raises(ArtifactError, match=r"audit_report.json: invalid at extra"):
        load_artifact_bytes(zip_of(files))


def test_a_missing_document_is_named() -> None:
    files = good()
    del files[CARD_JSON_FILE]
    with pytest.raises(ArtifactError, match=r"lacks model_card.json"):
        load_artifact_bytes(zip_of(files))


def test_a_card_for_another_commit_is_refused() -> None:
    files = artifact_files(HEAD, PR, card=make_card("2" * 40))
    with pytest.raises(ArtifactError, match=r"model_card.json is for commit 222222222222"):
        load_artifact_bytes(zip_of(files))


def test_a_card_for_another_model_is_refused() -> None:
    files = artifact_files(HEAD, PR, card=make_card(HEAD, name="other-model"))
    with pytest.raises(ArtifactError, match="describes 'other-model'"):
        load_artifact_bytes(zip_of(files))


def test_an_artifact_belongs_to_one_repository_pull_request_and_head() -> None:
    artifact = load_artifact_bytes(zip_of(good()))
    with pytest.raises(ArtifactError, match="repository acme/model, not acme/fork"):
        artifact.check_belongs(repository="acme/fork", pr_number=PR, head_sha=HEAD)
    with pytest.raises(ArtifactError, match="pull request #7, not #8"):
        artifact.check_belongs(repository=REPO, pr_number=8, head_sha=HEAD)
    with pytest.raises(StaleArtifact, match="head of #7 is now 333333333333"):
        artifact.check_belongs(repository=REPO, pr_number=PR, head_sha="3" * 40)


def test_a_symlink_in_a_directory_is_refused(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "art", good())
    secret = tmp_path / "secret.json"
    secret.write_bytes(good()[REPORT_FILE])
    (folder / REPORT_FILE).unlink()
    os.symlink(secret, folder / REPORT_FILE)
    with pytest.raises(ArtifactError, match=r"audit_report.json is a symbolic link"):
        load_artifact(folder)


def test_the_artifact_path_itself_may_not_be_a_symlink(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "art", good())
    os.symlink(folder, tmp_path / "link")
    with pytest.raises(ArtifactError, match="is a symbolic link"):
        load_artifact(tmp_path / "link")


def test_an_oversized_file_in_a_directory_is_refused(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "art", {**good(), REPORT_FILE: b" " * 2000})
    with pytest.raises(ArtifactError, match="at most 1000"):
        load_artifact(folder, Limits(member_bytes=1000))


def test_a_missing_artifact_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="No such file"):
        load_artifact(tmp_path / "nothing.zip")


def test_run_metadata_is_strict() -> None:
    """The PR job must write exactly this document (the model is the contract)."""
    meta = RunMetadata(repository=REPO, pr_number=1, head_sha=HEAD, base_ref="main",
                       tree_sha="f" * 40, workflow_run_id=5)
    assert meta.model_dump() == {
        "schema_version": 1, "kind": "modelgate.run_metadata", "repository": REPO,
        "pr_number": 1, "head_sha": HEAD, "base_ref": "main", "tree_sha": "f" * 40,
        "workflow_run_id": 5, "workflow_run_attempt": 1,
    }
    for bad in ({"head_sha": "HEAD"}, {"base_ref": "main branch"}, {"repository": "x"}):
        with pytest.raises(ValueError):
            RunMetadata.model_validate({**meta.model_dump(), **bad})


def test_reading_never_writes_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive is read in memory: nothing appears in the working directory."""
    monkeypatch.chdir(tmp_path)
    load_artifact_bytes(zip_of([*good().items(), ("sub/dir/file.txt", b"x")]))
    assert list(tmp_path.iterdir()) == []


def test_a_failing_report_is_still_a_valid_artifact() -> None:
    files = artifact_files(HEAD, PR, report=make_report(HEAD, failing=["pii"]))
    artifact = load_artifact_bytes(zip_of(files))
    assert [a.id for a in artifact.report.failing()] == ["pii"]


def test_zip_of_helper_writes_what_it_is_given() -> None:
    archive = zipfile.ZipFile(io.BytesIO(zip_of({"a": b"1"})))
    assert archive.read("a") == b"1"
