# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The pii audit: every column name and value of the data file against PII recognizers."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.check.audits import pii
from bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from tests.audit_support import (
    block_network,
    build_context,
    rows_with,
    shipped_context,
    shipped_frame,
)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    attempts = block_network(monkeypatch)
    yield attempts
    assert attempts == [], f"the audit tried to reach the network: {attempts}"


def entities(result: AuditResult) -> dict[str, set[str]]:
    """entity -> columns it was found in."""
    found: dict[str, set[str]] = {}
    for f in result.details["findings"]:
        found.setdefault(f["entity"], set()).add(f["column"])
    return found


def as_text(result: AuditResult) -> str:
    return json.dumps(result.to_json())


# Synthetic personal data. The SSNs avoid presidio's known sample numbers (123-45-6789),
# the card numbers are the issuers' published test numbers (Luhn-valid).
EMAILS = ["jane.roe@example.com", "k.smith@hospital.org", "x9@mail.co.uk"]
SSNS = ["536-22-8411", "412 55 0193"]
PHONES = ["(608) 555-0134", "+44 20 7946 0958", "6085550177"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"]


def test_shipped_data_passes_quickly_and_offline(offline: list[str]) -> None:
    """It passes the 569 numeric WDBC rows, with the study-id column not taken for an MRN."""
    pii._presidio.cache_clear()  # build the recognizers with the network blocked
    ctx = shipped_context()
    result = pii.run(ctx)
    assert result.status == "pass", result.summary
    assert result.details["findings"] == []
    assert result.details["id_column"]["column"] == "id"
    assert result.details["id_column"]["declared_kind"]
    assert result.details["manifest"]["agrees"] is True
    started = time.perf_counter()
    pii.run(ctx)
    assert time.perf_counter() - started < 2.0  # 569 x 32 cells, recognizers already built
    assert not [m for m in sys.modules if m.startswith(("en_core_web", "en_core_sci"))]


def test_injected_identifiers_fail_without_leaking_values(tmp_path: Path) -> None:
    """It fails on emails, SSNs, phones and Luhn-valid cards, and the report holds none of them."""
    frame = shipped_frame()
    frame = rows_with(frame, "contact", EMAILS + PHONES)
    frame = rows_with(frame, "notes", [f"ref {s} checked" for s in SSNS])
    frame = rows_with(frame, "billing_ref", [*CARDS, "4012888888881881"])
    result = pii.run(build_context(tmp_path, frame))
    assert result.status == "fail"
    found = entities(result)
    assert found["EMAIL_ADDRESS"] == {"contact"}
    assert found["PHONE_NUMBER"] == {"contact"}
    assert found["US_SSN"] == {"notes"}
    assert found["CREDIT_CARD"] == {"billing_ref"}
    text = as_text(result)
    for value in [*EMAILS, *SSNS, *PHONES, *CARDS, "4012888888881881"]:
        assert value not in text
        assert value.replace(" ", "").replace("-", "") not in text
    assert "j***@***.com" in text
    cards = next(f for f in result.details["findings"] if f["entity"] == "CREDIT_CARD")
    assert cards["cells"] == 4 and cards["distinct_values"] == 4


def test_luhn_invalid_numbers_are_not_cards(tmp_path: Path) -> None:
    """It does not call a 16-digit number a card unless the Luhn check holds."""
    frame = rows_with(shipped_frame(), "batch", ["4111 1111 1111 1112", "5500000000000005"])
    result = pii.run(build_context(tmp_path, frame))
    assert "CREDIT_CARD" not in entities(result)


def test_numeric_columns_still_get_digit_recognizers(tmp_path: Path) -> None:
    """It finds cards, phones and SSNs written as bare digits in an all-integer column."""
    frame = shipped_frame()
    frame = rows_with(frame, "a", ["4111111111111111", "12", "13"])
    frame = rows_with(frame, "b", ["6085550134", "7"])
    frame = rows_with(frame, "c", ["536228411", "412550193", "601221234"])
    # the same numbers after a round trip through a spreadsheet, as floats
    frame = rows_with(frame, "d", ["4111111111111111.0", "6.085550134e9", "0.25"])
    found = entities(pii.run(build_context(tmp_path, frame)))
    assert found["CREDIT_CARD"] == {"a", "d"}
    assert found["PHONE_NUMBER"] == {"b", "d"}
    assert found["US_SSN"] == {"c"}


def test_column_names_announce_personal_data(tmp_path: Path) -> None:
    """It fails on columns named for personal data even when values are blank or coded."""
    frame = shipped_frame()
    for name in ["DateOfBirth", "patient_name", "Home Address", "MRN", "e-mail", "ip_addr"]:
        frame[name] = ""
    frame.loc[0, "DateOfBirth"] = "x"
    result = pii.run(build_context(tmp_path, frame))
    by_name = {
        f["column"]: f["entity"] for f in result.details["findings"] if f["where"] == "column name"
    }
    assert by_name == {
        "DateOfBirth": "DATE_OF_BIRTH",
        "patient_name": "PERSON",
        "Home Address": "STREET_ADDRESS",
        "MRN": "MEDICAL_RECORD_NUMBER",
        "e-mail": "EMAIL_ADDRESS",
        "ip_addr": "IP_ADDRESS",
    }
    assert result.status == "fail"


@pytest.mark.parametrize("name", ["file_name", "cell_count", "birth_weight", "mean_radius", "id"])
def test_innocent_column_names_pass(name: str) -> None:
    """It does not flag column names that only resemble personal-data names."""
    assert pii.entity_for_column_name(name) is None


def test_a_column_name_that_is_personal_data_is_withheld(tmp_path: Path) -> None:
    """It withholds a header that is itself an email instead of copying it into the report."""
    frame = shipped_frame()
    frame["jane.roe@example.com"] = "1"
    result = pii.run(build_context(tmp_path, frame))
    assert result.status == "fail"
    assert "jane.roe@example.com" not in as_text(result)
    assert any("name withheld" in f["column"] for f in result.details["findings"])


def test_values_found_by_pattern(tmp_path: Path) -> None:
    """It finds MRNs, street addresses, IPs, titled names and full dates in free text."""
    frame = shipped_frame()
    frame = rows_with(frame, "remarks", ["seen under MRN: 00482913", "Dr. Alma Whitfield"])
    frame = rows_with(frame, "where", ["742 Evergreen Terrace", "PO Box 1123"])
    frame = rows_with(frame, "host", ["10.1.2.3", "2001:db8::17"])
    frame = rows_with(frame, "visit", ["1987-03-14", "03/14/1987"])
    result = pii.run(build_context(tmp_path, frame))
    found = entities(result)
    assert found["MEDICAL_RECORD_NUMBER"] == {"remarks"}
    assert found["PERSON"] == {"remarks"}
    assert found["STREET_ADDRESS"] == {"where"}
    assert found["IP_ADDRESS"] == {"host"}
    assert found["DATE"] == {"visit"}
    text = as_text(result)
    for value in ["00482913", "Whitfield", "Evergreen", "1123", "10.1.2.3", "1987"]:
        assert value not in text


def test_a_column_of_names_fails_but_a_few_place_labels_pass(tmp_path: Path) -> None:
    """It takes a column mostly of 'First Last' values for names, not a low-cardinality category."""
    first = [
        "Alice",
        "Bruno",
        "Chiara",
        "Dmitri",
        "Elena",
        "Farid",
        "Greta",
        "Hugo",
        "Ines",
        "Jonas",
    ]
    last = ["Moreau", "Okafor", "Lindqvist", "Tanaka", "Ferreira", "Novak"]
    people = [f"{f} {ln}" for f in first for ln in last][:40]
    frame = rows_with(shipped_frame(), "reviewer", people)
    frame = rows_with(frame, "site", ["New York", "Los Angeles", "Green Bay"] * 10)
    result = pii.run(build_context(tmp_path, frame))
    found = entities(result)
    assert found["PERSON"] == {"reviewer"}
    assert "Chiara Tanaka" not in as_text(result)


def test_study_id_column_is_not_an_mrn_but_formatted_ids_are_checked(tmp_path: Path) -> None:
    """It exempts the declared study-id column from digit-only checks, not from patterns."""

    def ids(frame_ids: list[str]) -> Any:
        frame = shipped_frame()
        frame["id"] = frame_ids + list(frame["id"][len(frame_ids) :])
        return frame

    # ten-digit ids that happen to be valid US phone numbers: a declared study id passes
    frame = ids(["6085550134", "6085550135"])
    result = pii.run(build_context(tmp_path / "declared", frame))
    assert result.status == "pass", result.details["findings"]
    assert result.details["id_column"]["digit_only_values_checked"] is False

    # without the manifest's declaration the same values are phone numbers
    def undeclared(raw: dict[str, Any]) -> None:
        raw.pop("id_column_kind")

    result = pii.run(build_context(tmp_path / "undeclared", frame, manifest=undeclared))
    assert entities(result)["PHONE_NUMBER"] == {"id"}

    # a declared id column whose values are SSNs with dashes still fails
    frame = ids(["536-22-8411"])
    result = pii.run(build_context(tmp_path / "ssn", frame))
    assert entities(result)["US_SSN"] == {"id"}


def test_manifest_status_must_agree(tmp_path: Path) -> None:
    """It fails clean data whose manifest does not declare PII status 'none'."""

    def pseudonymized(raw: dict[str, Any]) -> None:
        raw["pii"]["status"] = "pseudonymized"

    result = pii.run(build_context(tmp_path, manifest=pseudonymized))
    assert result.status == "fail"
    assert result.details["findings"] == []
    assert result.summary == pii.SUMMARY_MANIFEST.format(status="pseudonymized")


def test_missing_dataset_is_missing_evidence() -> None:
    """It raises EvidenceMissing (a failure for the runner) when the data did not load."""
    ctx = shipped_context()
    bare = AuditContext(root=ctx.root, config=ctx.config, commit=ctx.commit)
    with pytest.raises(EvidenceMissing, match="data file"):
        pii.run(bare)


def test_the_network_guard_would_catch_a_suffix_list_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It would see tldextract's default download, which the audit's extractor never makes."""
    import tldextract

    monkeypatch.delenv("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", raising=False)
    attempts = block_network(monkeypatch)
    default = tldextract.TLDExtract(cache_dir=str(tmp_path))  # what presidio uses by default
    assert default("jane.roe@example.com").fqdn == "example.com"  # falls back to its snapshot
    assert attempts, "the guard did not see the download attempt"
    attempts.clear()
    pii._presidio.cache_clear()
    assert [m.entity for m in pii.scan_value("jane.roe@example.com")] == ["EMAIL_ADDRESS"]
    assert attempts == []


def test_masks_hide_letters_and_digits() -> None:
    """It reduces values to shapes, keeping only an email's first letter and top-level domain."""
    from bot.check.audits._util import mask

    assert mask("jane.roe@example.com", "EMAIL_ADDRESS") == "j***@***.com"
    assert mask("536-22-8411", "US_SSN") == "###-##-####"
    assert mask("Alma Whitfield", "PERSON") == "xxxx xxxxxxxxx"
