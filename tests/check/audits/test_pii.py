# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The pii audit: every column name and value of the data file against PII recognizers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelgate.bot.check.audits import _pii_recognizers as rec
from modelgate.bot.check.audits import pii
from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.governance import PII_ENTITIES, ConfigError
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


def test_shipped_data_passes_offline(offline: list[str]) -> None:
    """It passes the 569 numeric WDBC rows, checking the study-id column like any other."""
    rec.presidio.cache_clear()  # build the recognizers with the network blocked
    rec.gazetteer.cache_clear()
    ctx = shipped_context()
    result = pii.run(ctx)
    assert result.status == "pass", result.summary
    assert result.details["findings"] == []
    assert result.details["id_column"]["column"] == "id"
    assert result.details["id_column"]["declared_kind"]
    assert result.details["id_column"]["verifiable"] is True
    assert result.details["id_column"]["digit_only_values_checked"] is True
    assert result.details["manifest"]["agrees"] is True
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
    """It finds cards and SSNs written as bare digits in an all-integer column; a bare
    10-digit run is a phone only with a leading + or 0, or below a lowered threshold."""
    frame = shipped_frame()
    frame = rows_with(frame, "a", ["4111111111111111", "12", "13"])
    frame = rows_with(frame, "b", ["6085550134", "7"])
    frame = rows_with(frame, "c", ["536228411", "412550193", "601221234"])
    # the same numbers after a round trip through a spreadsheet, as floats
    frame = rows_with(frame, "d", ["4111111111111111.0", "6.085550134e9", "0.25"])
    frame = rows_with(frame, "e", ["+16085550134", "07700900123"])
    found = entities(pii.run(build_context(tmp_path / "default", frame)))
    assert found["CREDIT_CARD"] == {"a", "d"}
    assert found["PHONE_NUMBER"] == {"e"}
    assert found["US_SSN"] == {"c"}

    def bare_phones(gov: dict[str, Any]) -> None:
        gov["pii"] = {"thresholds": {"PHONE_NUMBER": 0.3}}

    found = entities(pii.run(build_context(tmp_path / "low", frame, governance=bare_phones)))
    assert found["PHONE_NUMBER"] == {"b", "d", "e"}


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


def _with_ids(frame_ids: list[str]) -> Any:
    frame = shipped_frame()
    frame["id"] = frame_ids + list(frame["id"][len(frame_ids) :])
    return frame


def _declare(pattern: str | None) -> Any:
    def edit(raw: dict[str, Any]) -> None:
        raw.pop("id_column_pattern", None)
        if pattern is not None:
            raw["id_column_pattern"] = pattern

    return edit


def test_a_free_text_id_kind_exempts_nothing(tmp_path: Path) -> None:
    """It checks an id column declared only in words like any column: bare SSNs fail."""
    ssns = [f"{a:03d}{g:02d}{s:04d}" for a, g, s in zip(range(101, 800, 7), range(1, 99),
                                                       range(1001, 9999, 97), strict=False)]
    frame = _with_ids(ssns)
    result = pii.run(build_context(tmp_path, frame, manifest=_declare(None)))
    assert entities(result)["US_SSN"] == {"id"}
    assert result.details["id_column"]["verifiable"] is False
    for ssn in ssns:
        assert ssn not in as_text(result)
    # a pattern they match does not exempt them: the SSN check still runs on declared ids
    declared = pii.run(build_context(tmp_path / "p", frame, manifest=_declare("[0-9]{9}")))
    assert entities(declared)["US_SSN"] == {"id"}


def test_a_verifiable_id_kind_exempts_shapes_not_checksums(tmp_path: Path) -> None:
    """It lets ids that match the manifest's pattern skip record-number shapes, fails an
    id that does not match, and still finds a delimited SSN among declared ids."""
    study = [f"ST{n:07d}" for n in range(1000000, 1000000 + 569)]
    frame = _with_ids(study)
    undeclared = pii.run(build_context(tmp_path / "u", frame, manifest=_declare(None)))
    assert entities(undeclared)["MEDICAL_RECORD_NUMBER"] == {"id"}
    declared = pii.run(build_context(tmp_path / "d", frame, manifest=_declare("ST[0-9]{7}")))
    assert declared.status == "pass", declared.details["findings"]

    stray = _with_ids(["536-22-8411", "XY7654321", *study[2:]])
    result = pii.run(build_context(tmp_path / "s", stray, manifest=_declare("ST[0-9]{7}")))
    found = entities(result)
    assert found["US_SSN"] == {"id"}
    assert found[pii.ID_MISMATCH] == {"id"}
    assert "2 id(s) in 'id' do not match" in result.summary
    assert "536-22-8411" not in as_text(result) and "XY7654321" not in as_text(result)


def test_a_broken_id_pattern_is_missing_evidence(tmp_path: Path) -> None:
    """It refuses to judge ids against a pattern that does not compile (fail closed)."""
    with pytest.raises(EvidenceMissing, match="id_column_pattern"):
        pii.run(build_context(tmp_path, manifest=_declare("[0-9")))


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
    rec.presidio.cache_clear()
    assert [m.entity for m in pii.scan_value("jane.roe@example.com")] == ["EMAIL_ADDRESS"]
    assert attempts == []


def test_masks_hide_letters_and_digits() -> None:
    """It reduces values to shapes, keeping only an email's first letter and top-level domain."""
    from modelgate.bot.check.audits._util import mask

    assert mask("jane.roe@example.com", "EMAIL_ADDRESS") == "j***@***.com"
    assert mask("536-22-8411", "US_SSN") == "###-##-####"
    assert mask("Alma Whitfield", "PERSON") == "xxxx xxxxxxxxx"


def found_in(column: str, values: list[str], **kwargs: Any) -> dict[str, set[str]]:
    """value -> entities found, through the audit's recognizer entry point."""
    kept = pii.recognize_column(values, column=column, **kwargs)
    return {v: {m.entity for m in ms} for v, ms in kept.items()}


def test_names_in_notes_in_capitals_and_with_accents() -> None:
    """It finds a patient named inside a free-text note, 'LAST, FIRST' in capitals, and
    names with accents, but not clinical words that happen to be names."""
    notes = {
        "seen by Tomás Hernández-Ruiz for follow-up": True,
        "GARCIA, MARIA": True,
        "Pt SIOBHÁN O'BRIEN reports mild pain": True,
        "telephoned Aoife re results": True,
        "Mrs Lefèvre declined contrast": True,
        "Will recall for repeat imaging": False,
        "Mark lesion with clip before surgery": False,
        "BI-RADS 4a; US-guided FNA": False,
        "New York": False,
    }
    found = found_in("notes", list(notes))
    people = {v for v, is_person in notes.items() if is_person}
    assert {v for v, ents in found.items() if "PERSON" in ents} == people


def test_record_numbers_without_a_label() -> None:
    """It takes two or three capitals and seven or more digits for a record number."""
    found = found_in("ref", ["XY1234567", "KHM-00482913", "HER2", "C50.912", "pT1cN0M0"])
    assert {v for v, e in found.items() if "MEDICAL_RECORD_NUMBER" in e} == {
        "XY1234567", "KHM-00482913"}


def test_addresses_and_postcodes_outside_the_us() -> None:
    """It finds UK, German and French street lines and postcodes, not counts with units."""
    found = found_in("where", [
        "Baker Street 12, 10115 Berlin", "221B Baker Street, London NW1 6XE",
        "12 rue de la Paix, 75002 PARIS", "Hauptstraße 5", "SW1A 1AA",
        "25000 cells", "50000 IU", "2019",
    ])
    assert found["Baker Street 12, 10115 Berlin"] == {"STREET_ADDRESS", "POSTCODE"}
    assert found["221B Baker Street, London NW1 6XE"] == {"STREET_ADDRESS", "POSTCODE"}
    assert found["12 rue de la Paix, 75002 PARIS"] == {"STREET_ADDRESS", "POSTCODE"}
    assert found["Hauptstraße 5"] == {"STREET_ADDRESS"}
    assert found["SW1A 1AA"] == {"POSTCODE"}
    assert not found["25000 cells"] | found["50000 IU"] | found["2019"]


def test_nhs_numbers_need_their_check_digit() -> None:
    """It finds spaced and labelled NHS numbers whose mod-11 check digit holds, not others."""
    assert rec.nhs_valid("9434765919") and not rec.nhs_valid("9434765918")
    found = found_in("x", ["943 476 5919", "943 476 5918", "NHS no 9434765919"])
    assert found["943 476 5919"] == {"UK_NHS"}
    assert "UK_NHS" not in found["943 476 5918"]  # a phone number, perhaps: not an NHS one
    assert found["NHS no 9434765919"] == {"UK_NHS"}


def test_a_column_of_bare_nhs_numbers_but_not_of_specimen_ids() -> None:
    """It calls a column of 10-digit numbers NHS numbers when most pass the check, not
    when about one in eleven does by chance."""
    valid = [d for d in (f"94347{n:04d}" for n in range(6000, 9999)) if rec.nhs_valid(d + "0")]
    nhs = [d + "0" for d in valid[:20]]
    assert all(ents == {"UK_NHS"} for ents in found_in("x", nhs).values())
    specimens = [str(4_000_000_000 + 7919 * k) for k in range(110)]
    assert sum(rec.nhs_valid(s) for s in specimens) >= 3  # some pass by chance
    assert not any(found_in("x", specimens).values())


def test_allocated_sequences_and_snomed_codes_are_not_ssns() -> None:
    """It does not take 9-digit accession numbers sharing a prefix, or SNOMED CT concept
    ids (Verhoeff check digit), for a column of SSNs."""
    accession = [str(202300000 + 3 * k) for k in range(100)]
    snomed = ["254837009", "372064008", "399068003", "363346000", "408643008", "126926005"]
    assert not any(found_in("x", accession).values())
    assert not any(found_in("x", snomed).values())


def test_other_national_ids() -> None:
    """It finds NINOs, INSEE numbers with their key, IBANs and passport numbers."""
    found = found_in("x", ["AB 12 34 56 C", "1 84 12 76 451 089 46", "1 84 12 76 451 089 47",
                           "GB82 WEST 1234 5698 7654 32", "C01X00T47", "passport no. 123456789"])
    assert found == {
        "AB 12 34 56 C": {"UK_NINO"}, "1 84 12 76 451 089 46": {"FR_NIR"},
        "1 84 12 76 451 089 47": set(), "GB82 WEST 1234 5698 7654 32": {"IBAN"},
        "C01X00T47": {"PASSPORT"}, "passport no. 123456789": {"PASSPORT"},
    }


def test_thresholds_come_from_governance(tmp_path: Path) -> None:
    """It applies governance.yml's per-entity thresholds, and refuses unknown entities."""
    frame = rows_with(shipped_frame(), "contact", EMAILS)

    def strict(gov: dict[str, Any]) -> None:
        gov["pii"] = {"thresholds": {"EMAIL_ADDRESS": 1.0, "PERSON": 0.9}}

    assert "EMAIL_ADDRESS" in entities(pii.run(build_context(tmp_path / "a", frame,
                                                             governance=strict)))

    def deaf(gov: dict[str, Any]) -> None:
        gov["pii"] = {"min_score": 1.0, "thresholds": {"EMAIL_ADDRESS": 1.0}}

    frame = rows_with(frame, "who", ["seen by Tomás García"])
    found = entities(pii.run(build_context(tmp_path / "b", frame, governance=deaf)))
    assert "PERSON" not in found and "EMAIL_ADDRESS" in found

    def unknown(gov: dict[str, Any]) -> None:
        gov["pii"] = {"thresholds": {"SHOE_SIZE": 0.5}}

    with pytest.raises(ConfigError, match=r"pii\.thresholds"):
        build_context(tmp_path / "c", governance=unknown)


def test_every_entity_is_described_and_configurable() -> None:
    """It describes each entity it reports, and governance accepts a threshold for each."""
    assert set(pii.RECOGNIZERS) == set(PII_ENTITIES)
    assert {e for e, _ in pii.NAME_HEURISTICS} <= set(PII_ENTITIES)
