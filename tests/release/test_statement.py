# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The signed release statement: built, signed with a local key, verified offline; every
tamper named by `modelgate verify`, the Lambda's init and deploy's check alike."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.testclient import TestClient

from modelgate.bot.release import statement as st
from modelgate.bot.release.verify import (
    VerifyError,
    governance_reasons,
    render,
    trusted_keys,
    verify,
)
from modelgate.governance import load_config
from modelgate.hashing import sha256_bytes
from modelgate.serving import bundle as bundles
from modelgate.serving.app import create_app
from modelgate.serving.attestation import (
    PREDICATE_TYPE,
    RELEASE_FILES,
    SIGNATURE_FILE,
    STATEMENT_FILE,
    STATEMENT_TYPE,
    load_public_keys,
    pae,
)
from modelgate.serving.manifest import MANIFEST_NAME, MODEL_FILE
from tests.conftest import fixture_config
from tests.release_support import (
    HEAD,
    copy_bundle,
    facts,
    flip_byte,
    new_key,
    public_pem,
    release_key,
    sign_bundle,
    tamper_clear,
    tamper_payload,
)
from tests.serving_support import LogLines, export, fitted, record


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("statement") / "bundle"
    export(out)
    sign_bundle(out)
    return out


@pytest.fixture
def bundle(signed: Path, tmp_path: Path) -> Path:
    return copy_bundle(signed, tmp_path / "bundle")


def keys() -> Any:
    return trusted_keys(public_pem())


def test_statement_is_in_toto_v1_over_every_bundle_file(signed: Path) -> None:
    """The subjects are manifest.json and every file it lists, by sha256."""
    doc = json.loads((signed / STATEMENT_FILE).read_bytes())
    assert doc["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert doc["predicateType"] == PREDICATE_TYPE == "https://modelgate.dev/release/v1"
    manifest = json.loads((signed / MANIFEST_NAME).read_bytes())
    names = {s["name"] for s in doc["subject"]}
    assert names == {MANIFEST_NAME, *(f["path"] for f in manifest["files"])}
    assert RELEASE_FILES.isdisjoint(names) and RELEASE_FILES == bundles.RELEASE_FILES
    pred = doc["predicate"]
    assert pred["source"]["pullRequest"] == 42 and pred["source"]["auditedHead"] == HEAD
    assert [a["userId"] for a in pred["approvals"]] == [1001, 1002, 1003]
    assert pred["approvals"][0]["url"].endswith("#issuecomment-1")
    assert set(pred["training"]) == {"runId", "modelVersion", "dataSha256", "lockSha256",
                                     "modelFingerprint"}


def test_envelope_is_a_sigstore_bundle_with_dsse(signed: Path) -> None:
    """The signature covers the DSSE PAE of exactly the clear statement's bytes."""
    doc = json.loads((signed / SIGNATURE_FILE).read_text())
    assert doc["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    env = doc["dsseEnvelope"]
    payload = base64.b64decode(env["payload"])
    assert payload == (signed / STATEMENT_FILE).read_bytes()
    (key,) = load_public_keys(public_pem())
    release_key().public_key().verify(base64.b64decode(env["signatures"][0]["sig"]),
                                      pae(env["payloadType"], payload), ec.ECDSA(hashes.SHA256()))
    assert doc["verificationMaterial"]["publicKey"]["hint"] == key.keyid


def test_verify_prints_the_chain(signed: Path) -> None:
    """It verifies offline and names subjects, signer, approvals, governance, run, data."""
    result = verify(str(signed), keys(), governance=load_config(fixture_config()).governance)
    text = render(result)
    for needle in ("subject    manifest.json", "signature  ok, key", "approval   ml-reviewer: "
                   "@mo-reviewer (id 1002)", "governance governance.yml sha256 " + "e" * 64,
                   "run        " + "0" * 32, "data       sha256 " + "1" * 64,
                   "commit     " + "b" * 40):
        assert needle in text


@pytest.mark.parametrize("name", [MANIFEST_NAME, MODEL_FILE])
def test_a_flipped_byte_in_any_file_is_named(bundle: Path, name: str) -> None:
    """One flipped byte in a bundle file: refused, naming the file."""
    flip_byte(bundle / name, 40)
    with pytest.raises(VerifyError, match=name.replace(".", r"\.")):
        verify(str(bundle), keys())


def _approval(doc: dict[str, Any]) -> None:
    doc["predicate"]["approvals"][1]["login"] = "mallory"


def _governance(doc: dict[str, Any]) -> None:
    doc["predicate"]["governance"]["sha256"] = "9" * 64


@pytest.mark.parametrize(("edit", "path"), [
    (_approval, "predicate.approvals[1].login"),
    (_governance, "predicate.governance.sha256")])
def test_an_edited_signed_payload_is_refused_naming_the_field(bundle: Path, edit: Any,
                                                              path: str) -> None:
    """Editing the signed payload breaks the signature; the diff to the clear copy names it."""
    tamper_payload(bundle, edit)
    with pytest.raises(VerifyError, match="altered after signing") as err:
        verify(str(bundle), keys())
    assert path in str(err.value)


def test_an_edited_clear_copy_is_refused_naming_the_field(bundle: Path) -> None:
    tamper_clear(bundle, _approval)
    with pytest.raises(VerifyError, match=r"differs from the signed statement at "
                                          r"predicate\.approvals\[1\]\.login"):
        verify(str(bundle), keys())


def test_another_key_is_refused(bundle: Path) -> None:
    with pytest.raises(VerifyError, match="not a trusted key"):
        verify(str(bundle), trusted_keys(public_pem(new_key())))


def test_a_bundle_without_statement_is_refused(bundle: Path) -> None:
    (bundle / SIGNATURE_FILE).unlink()
    with pytest.raises(VerifyError, match="no signed release statement"):
        verify(str(bundle), keys())


def test_a_separate_statement_file_is_checked(bundle: Path, tmp_path: Path) -> None:
    """--statement FILE (the GitHub release asset) replaces the bundle's own."""
    asset = tmp_path / "asset.sigstore.json"
    asset.write_bytes((bundle / SIGNATURE_FILE).read_bytes())
    (bundle / SIGNATURE_FILE).unlink()
    assert verify(str(bundle), keys(), statement_file=asset).statement.digest


def test_governance_rules() -> None:
    """Roles, counts, distinct people and not the author, from governance.yml."""
    gov = load_config(fixture_config()).governance
    good = st.predicate(facts())
    assert governance_reasons(good, gov) == []
    short = st.predicate(facts(approvals=facts().approvals[:2]))
    assert governance_reasons(short, gov) == [
        "role clinical-safety needs 1 distinct approver(s), the statement has 0"]
    stranger = st.predicate(facts(approvals=[*facts().approvals[:2], st.Approval(
        "clinical-safety", "mallory", "t", HEAD)]))
    assert "approval clinical-safety by @mallory: not a holder" in \
        " ".join(governance_reasons(stranger, gov))
    author = st.predicate(facts(author={"login": "cleo-clinician", "userId": 1003}))
    assert any("the author cannot approve" in r for r in governance_reasons(author, gov))


def test_a_validly_signed_statement_failing_governance_is_refused(bundle: Path) -> None:
    sign_bundle(bundle, approvals=facts().approvals[:1])
    with pytest.raises(VerifyError, match="role ml-reviewer needs 1 distinct"):
        verify(str(bundle), keys(), governance=load_config(fixture_config()).governance)


def test_trailers_old_and_extended() -> None:
    """The original trailer still parses; the extension adds user id and source URL."""
    old = "Modelgate-Approved: ml-reviewer by @mo-reviewer at 2026-12-01T09:10:00Z on " + HEAD
    ext = st.approval_source_trailer("ml-reviewer", "mo-reviewer", 1002,
                                     "https://github.com/o/r/pull/1#pullrequestreview-9")
    (a,) = st.approvals_from_message(f"Merge\n\n{old}\n")
    assert (a.role, a.login, a.user_id, a.url) == ("ml-reviewer", "mo-reviewer", None, None)
    (b,) = st.approvals_from_message(f"Merge\n\n{old}\n{ext}\n{st.author_trailer('ana', 7)}\n")
    assert (b.user_id, b.url) == (1002, "https://github.com/o/r/pull/1#pullrequestreview-9")
    assert st.author_from_message(st.author_trailer("ana", 7)) == {"login": "ana", "userId": 7}
    from modelgate.bot.approvals.trailers import approvals_from_message as original

    assert original(f"{old}\n{ext}") == [{"role": "ml-reviewer", "login": "mo-reviewer",
                                          "at": "2026-12-01T09:10:00Z", "sha": HEAD}]


# --- the Lambda's init ------------------------------------------------------------------


def _app(bundle_dir: Path, pem: str | None) -> tuple[TestClient, LogLines]:
    bundles.reset_cache()
    lines = LogLines()
    env = {"MODELGATE_BUNDLE_URI": str(bundle_dir)}
    if pem is not None:
        env["MODELGATE_STATEMENT_PUBKEY"] = pem
    return TestClient(create_app(env=env, log_sink=lines)), lines


def test_lambda_init_serves_a_verified_bundle_and_logs_the_digest(bundle: Path) -> None:
    """/model-info and every request line carry the statement's digest."""
    digest = sha256_bytes((bundle / STATEMENT_FILE).read_bytes())
    client, lines = _app(bundle, public_pem())
    assert client.get("/model-info").json()["statement_sha256"] == digest
    row = record(fitted().X_test[0])
    assert client.post("/predict", json={"features": row}).status_code == 200
    assert {r["statement_sha256"] for r in lines.requests()} == {digest}
    bundles.reset_cache()


@pytest.mark.parametrize(("tamper", "needle"), [
    (lambda b: flip_byte(b / MODEL_FILE, 40), MODEL_FILE),
    (lambda b: tamper_payload(b, _approval), "predicate.approvals[1].login"),
    (lambda b: tamper_payload(b, _governance), "predicate.governance.sha256"),
    (lambda b: (b / SIGNATURE_FILE).unlink(), "no signed release statement")])
def test_lambda_init_refuses_a_tampered_bundle(bundle: Path, tamper: Any, needle: str) -> None:
    """The refusal happens at init; /health names what differs and /predict answers 503."""
    tamper(bundle)
    client, _ = _app(bundle, public_pem())
    health = client.get("/health").json()
    assert needle in json.dumps(health)
    assert client.post("/predict", json={"features": record(fitted().X_test[0])}).status_code == 503
    bundles.reset_cache()


def test_lambda_without_a_key_serves_unverified(bundle: Path) -> None:
    """No MODELGATE_STATEMENT_PUBKEY (local serving): no statement digest is claimed."""
    client, _ = _app(bundle, None)
    assert client.get("/model-info").json()["statement_sha256"] is None
    bundles.reset_cache()


def test_trace_names_a_link_that_disagrees_with_the_signed_statement(signed: Path) -> None:
    """A log line whose statement digest (or run) is not the signed one is a mismatch."""
    from modelgate.bot.release.trace import Trace, verify_links

    checked = verify(str(signed), keys())
    ok = Trace(schema_version=1, request_id="r", request={}, model_name="m", version="7",
               alias="production", run_id="0" * 32, data_sha256="1" * 64, commit="b" * 40,
               statement_sha256=checked.statement.digest)
    verify_links(ok, checked.statement)
    assert ok.mismatches == [] and len(ok.verified) == 6
    bad = Trace(schema_version=1, request_id="r", request={}, model_name="m", version="7",
                alias="production", run_id="9" * 32, data_sha256="1" * 64, commit="b" * 40,
                statement_sha256="0" * 64)
    verify_links(bad, checked.statement)
    assert [m.split(":")[0] for m in bad.mismatches] == [
        "statement sha256 (log line -> signed statement)", "run id"]
