# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Does the training data hold personal data?

Every column of the data file is checked, features or not: its name against column-name
heuristics, and its distinct values against presidio-analyzer's pattern recognizers
(emails, phones via phonenumbers, SSNs, Luhn-checked card numbers, IPs, dates) plus
regexes for what presidio has no pattern for (medical record numbers, street addresses,
person names). presidio is used without its NLP engine (no spaCy model is loaded) and the
email check uses tldextract's bundled suffix list, so nothing touches the network.

The report names columns, entity types and counts and shows only masked shapes
(``j***@***.com``, ``###-##-####``): it must never copy the personal data it found.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from bot.check.audits._util import mask
from bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

AUDIT_ID = "pii"
TITLE = "Training data holds no personal data"

MIN_SCORE = 0.4  # presidio scores below this are "very weak" patterns (bare 9 digits, "::")
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR")
PHONE_MIN_DIGITS = 7  # a formatted number ("+44 20 7946 0958", "608-555-0134")
PHONE_MIN_DIGITS_BARE = 10  # a run of bare digits: shorter runs are measurements, not phones
CARD_MIN_DIGITS = 13
SSN_MIN_DIGITS = 9
# a column is names (or bare SSNs) when this share of its text (integer) values look so
SHAPE_SHARE = 0.5
PERSON_MIN_DISTINCT = 10  # below this, "New York" / "Stage Two" labels are categories
EXAMPLES_SHOWN = 3
NONE_STATUSES = frozenset({"none"})

SUMMARY_PASS = "no personal data in {columns} columns x {rows} rows; manifest PII status '{status}'"
SUMMARY_FOUND = "personal data found: {found}"
SUMMARY_MANIFEST = "manifest PII status '{status}' disagrees (the audit expects 'none')"
WITHHELD = "column #{index} (name withheld: it matches a PII recognizer)"
NO_DATASET = "the data file could not be loaded, so it cannot be checked for personal data"

NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
INTEGER_RE = re.compile(r"^[+-]?\d+$")
WHOLE_FLOAT_MIN = 10**8  # "842302.0" is a count; "536228411.0" may be an SSN
MRN_VALUE_RE = re.compile(
    r"\b(?:MRN|MR\s*#|MR\s*No\.?|Med(?:ical)?\s*Rec(?:ord)?\s*(?:No\.?|Number|#))"
    r"\s*[:#-]?\s*\d[\dA-Z-]{3,}\b",
    re.IGNORECASE,
)
STREET_RE = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Za-z0-9.'-]+\s+){0,4}"
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl"
    r"|terrace|ter|circle|cir|highway|hwy|parkway|pkwy|square|sq|trail|trl|crescent)\b"
    r"|\bP\.?\s*O\.?\s*Box\s+\d+",
    re.IGNORECASE,
)
_NAME_PART = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
TITLED_NAME_RE = re.compile(
    rf"^(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+{_NAME_PART}(?:\s+{_NAME_PART}){{0,2}}$"
)
NAME_LIKE_RE = re.compile(
    rf"^{_NAME_PART}(?:\s+[A-Z]\.?)?(?:\s+{_NAME_PART}){{1,2}}$|^{_NAME_PART},\s*{_NAME_PART}$"
)


def _bounded(alternatives: str) -> re.Pattern[str]:
    return re.compile(rf"(?:^|_)(?:{alternatives})(?:_|$)")


# Column-name heuristics on the normalized name (snake_case). Order matters: the first
# match wins, so "ip_address" is an IP and "email_address" an email, not a street address.
NAME_HEURISTICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "IP_ADDRESS",
        _bounded(r"ips?|ip_?addr(?:ess)?(?:es)?|ipv[46](?:_?addr(?:ess)?)?|remote_?addr"),
    ),
    ("EMAIL_ADDRESS", _bounded(r"e_?mails?(?:_?addr(?:ess)?)?|mail_?addr(?:ess)?")),
    (
        "PHONE_NUMBER",
        _bounded(
            r"(?:tele)?phones?(?:_?(?:number|no|num|nr))?|tel(?:_?(?:no|number))?"
            r"|mobile(?:_?(?:phone|number|no))?|cell_?phone|fax(?:_?(?:number|no))?|msisdn"
        ),
    ),
    (
        "US_SSN",
        _bounded(
            r"ssns?|social_?security(?:_?(?:number|no|num))?"
            r"|national_?insurance(?:_?(?:number|no))?|nino"
        ),
    ),
    (
        "MEDICAL_RECORD_NUMBER",
        _bounded(
            r"mrns?|medical_?records?(?:_?(?:number|no|num|id))?|med_?rec(?:_?(?:number|no|num|id))?"
            r"|patient_?(?:id|number|no|num|nr)|hospital_?(?:id|number|no)"
            r"|chart_?(?:number|no|id)|health_?record(?:_?(?:number|no|id))?|nhs_?(?:number|no)"
        ),
    ),
    (
        "DATE_OF_BIRTH",
        _bounded(
            r"dob|d_o_b|birth_?(?:date|day|dt)|date_?of_?birth|birthdate|birthday|born(?:_?on)?"
        ),
    ),
    (
        "STREET_ADDRESS",
        _bounded(
            r"(?:(?:street|home|postal|mailing|residential|billing|shipping|patient)_?)?"
            r"address(?:es)?(?:_?line)?(?:_?\d)?|addr_?\d?|street(?:_?name)?"
            r"|zip(?:_?code)?|post_?code|postal_?code"
        ),
    ),
    (
        "CREDIT_CARD",
        _bounded(
            r"(?:credit|debit|payment|bank)_?card(?:_?(?:number|no|num))?"
            r"|card_?(?:number|no|num)|ccn|cc_?(?:number|no|num)"
        ),
    ),
    (
        "PERSON",
        re.compile(
            r"^names?$|(?:^|_)(?:(?:first|last|given|family|middle|maiden|full|sur|fore|nick"
            r"|person|patient|customer|client|contact|mother|father)_?names?|initials)(?:_|$)"
        ),
    ),
)

# What each entity is checked with, for the report (reviewers ask "how do you know?").
RECOGNIZERS: dict[str, str] = {
    "PERSON": "column name; values 'Title First Last', or a column mostly of 'First Last' values",
    "EMAIL_ADDRESS": "presidio EmailRecognizer (offline suffix list)",
    "PHONE_NUMBER": "presidio PhoneRecognizer (phonenumbers, regions "
    + ",".join(PHONE_REGIONS)
    + ")",
    "US_SSN": "presidio UsSsnRecognizer (delimited; bare 9 digits when most of a column is)",
    "MEDICAL_RECORD_NUMBER": "column name; values prefixed MRN / medical record no.",
    "DATE_OF_BIRTH": "column name (any full date in a value is reported as DATE)",
    "DATE": "presidio DateRecognizer (full dates are HIPAA identifiers)",
    "STREET_ADDRESS": "column name; values 'number street-name suffix' or PO Box",
    "IP_ADDRESS": "presidio IpRecognizer (validated by ipaddress)",
    "CREDIT_CARD": "presidio CreditCardRecognizer (Luhn-checked)",
}


@dataclass(frozen=True)
class _Match:
    entity: str
    recognizer: str
    text: str  # the matched span; masked before it goes anywhere


@dataclass
class _Finding:
    column: str
    where: str  # "column name" or "values"
    entity: str
    recognizers: set[str] = field(default_factory=set)
    cells: int = 0
    distinct: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, match: _Match, cells: int) -> None:
        self.recognizers.add(match.recognizer)
        self.cells += cells
        self.distinct += 1
        shown = mask(match.text, match.entity)
        if len(self.examples) < EXAMPLES_SHOWN and shown not in self.examples:
            self.examples.append(shown)

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "where": self.where,
            "entity": self.entity,
            "recognizers": sorted(self.recognizers),
            "cells": self.cells,
            "distinct_values": self.distinct,
            "masked_examples": self.examples,
        }


def normalize_column_name(name: str) -> str:
    """Snake case, so `DateOfBirth`, `date-of-birth` and `DATE_OF_BIRTH` read alike."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.strip())
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


def entity_for_column_name(name: str) -> str | None:
    """The PII entity a column's name announces, if any."""
    normalized = normalize_column_name(name)
    for entity, pattern in NAME_HEURISTICS:
        if pattern.search(normalized):
            return entity
    return None


@functools.cache
def _presidio() -> tuple[EntityRecognizer, ...]:
    """Build presidio's pattern recognizers once, with nothing that reaches the network."""
    import tldextract
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    # the bundled public-suffix snapshot; no download, no cache directory
    extractor = tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
    )

    class OfflineEmailRecognizer(EmailRecognizer):
        """presidio's email recognizer validating the domain against the bundled list."""

        def validate_result(self, pattern_text: str) -> bool:
            return extractor(pattern_text).fqdn != ""

    return (
        OfflineEmailRecognizer(),
        UsSsnRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
        DateRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS),
    )


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _run(recognizer: EntityRecognizer, text: str) -> list[_Match]:
    matches = []
    # no NLP engine: presidio's pattern recognizers accept nlp_artifacts=None
    results = recognizer.analyze(text, recognizer.supported_entities, None)  # type: ignore[arg-type]
    for res in results:
        if res.score < MIN_SCORE:
            continue
        entity = "DATE" if res.entity_type == "DATE_TIME" else res.entity_type
        matches.append(_Match(entity, type(recognizer).__name__, text[res.start : res.end]))
    return matches


def _phone_plausible(span: str) -> bool:
    digits = _digits(span)
    formatted = any(not ch.isdigit() for ch in span.strip())
    return digits >= (PHONE_MIN_DIGITS if formatted else PHONE_MIN_DIGITS_BARE)


def whole_number(text: str) -> str | None:
    """The digits of a value that is a whole number however it was written (``6085550134``,
    ``6085550134.0``, ``6.085550134e9`` once a spreadsheet had it); else ``None``."""
    if INTEGER_RE.match(text):
        return text
    if not NUMBER_RE.match(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value != value.to_integral_value() or abs(value) < WHOLE_FLOAT_MIN:
        return None  # a measurement, or too short for any digit-only identifier
    return str(int(value))


def scan_value(text: str, bare_digits: bool = True) -> list[_Match]:
    """Every personal-data match in one value. ``bare_digits=False`` skips values made of
    digits only (a declared study-id column); formatted values are always checked."""
    email, ssn, card, ip, date, phone = _presidio()
    whole = whole_number(text)
    if whole is not None:
        # digits only: a card or phone number written without separators is still one
        if not bare_digits:
            return []
        digits = _digits(whole)
        found = _run(card, whole) if digits >= CARD_MIN_DIGITS else []
        if digits >= PHONE_MIN_DIGITS_BARE:
            found += _run(phone, whole)
        return found
    digits = _digits(text)
    if NUMBER_RE.match(text):
        return []  # a decimal measurement: no identifier is written this way
    found = []
    if "@" in text:
        found += _run(email, text)
    if digits >= SSN_MIN_DIGITS:
        found += _run(ssn, text)
    if digits >= CARD_MIN_DIGITS:
        found += _run(card, text)
    if ("." in text and digits >= 4) or ":" in text:
        found += _run(ip, text)
    if digits >= 2:
        found += _run(date, text)
    if digits >= PHONE_MIN_DIGITS:
        found += [m for m in _run(phone, text) if _phone_plausible(m.text)]
    found += [
        _Match("MEDICAL_RECORD_NUMBER", "modelgate MRN pattern", m.group(0))
        for m in MRN_VALUE_RE.finditer(text)
    ]
    found += [
        _Match("STREET_ADDRESS", "modelgate street pattern", m.group(0))
        for m in STREET_RE.finditer(text)
    ]
    if TITLED_NAME_RE.match(text):
        found.append(_Match("PERSON", "modelgate titled-name pattern", text))
    return found


def _distinct_values(series: pd.Series) -> Iterable[tuple[str, int]]:
    counts: dict[str, int] = {}
    for raw, n in series.value_counts(dropna=True).items():
        text = str(raw).strip()
        if text:
            counts[text] = counts.get(text, 0) + int(n)
    return counts.items()


@dataclass
class _ColumnScan:
    findings: dict[str, _Finding]
    values: int


def _bare_ssn(text: str) -> bool:
    """Nine bare digits that presidio's SSN rules do not rule out (area 000/666, ...)."""
    if len(text) != SSN_MIN_DIGITS or not text.isdigit():
        return False
    ssn = _presidio()[1]
    results = ssn.analyze(text, ssn.supported_entities, None)  # type: ignore[arg-type]
    return bool(results)


def _shared_shape(
    findings: dict[str, _Finding], label: str, entity: str, how: str, hits: list[tuple[str, int]]
) -> None:
    finding = findings.setdefault(entity, _Finding(label, "values", entity))
    for text, cells in hits:
        finding.add(_Match(entity, how, text), cells)


def _scan_column(label: str, series: pd.Series, *, bare_digits: bool) -> _ColumnScan:
    """Scan a column's distinct values. Two entities are judged on the column, not the
    value: "Jane Doe" or 536228411 alone is weak evidence, a column mostly made of them
    is a column of names or of SSNs written without dashes."""
    findings: dict[str, _Finding] = {}
    name_like: list[tuple[str, int]] = []
    ssn_like: list[tuple[str, int]] = []
    text_values = integer_values = scanned = 0
    for text, cells in _distinct_values(series):
        scanned += 1
        whole = whole_number(text)
        if whole is not None:
            integer_values += 1
            if bare_digits and _bare_ssn(whole):
                ssn_like.append((whole, cells))
        elif not NUMBER_RE.match(text):
            text_values += 1
            if NAME_LIKE_RE.match(text):
                name_like.append((text, cells))
        seen: set[str] = set()
        for match in scan_value(text, bare_digits):
            if match.entity in seen:
                continue  # one value counts once per entity, however many spans matched
            seen.add(match.entity)
            finding = findings.setdefault(match.entity, _Finding(label, "values", match.entity))
            finding.add(match, cells)
    if len(name_like) >= PERSON_MIN_DISTINCT and len(name_like) >= SHAPE_SHARE * text_values:
        _shared_shape(findings, label, "PERSON", "modelgate name-shape share", name_like)
    if ssn_like and len(ssn_like) >= SHAPE_SHARE * integer_values:
        _shared_shape(findings, label, "US_SSN", "modelgate bare-SSN share", ssn_like)
    return _ColumnScan(findings, scanned)


def _declared_id_column(ctx: AuditContext) -> tuple[str | None, str | None]:
    """The governance id column, and its kind when the manifest declares the same column."""
    assert ctx.dataset is not None
    id_column = ctx.config.governance.data.id_column
    manifest = ctx.dataset.manifest
    kind = manifest.raw.get("id_column_kind")
    if manifest.id_column == id_column and isinstance(kind, str) and kind.strip():
        return id_column, kind.strip()
    return id_column, None


def _shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _summary(findings: list[_Finding], status: str, agrees: bool, rows: int, columns: int) -> str:
    if not findings and agrees:
        return SUMMARY_PASS.format(columns=columns, rows=rows, status=status)
    parts = []
    if findings:
        by_entity: dict[str, list[_Finding]] = {}
        for f in findings:
            by_entity.setdefault(f.entity, []).append(f)
        found = ", ".join(
            f"{entity} in {len({f.column for f in fs})} column(s)"
            for entity, fs in sorted(by_entity.items())
        )
        parts.append(SUMMARY_FOUND.format(found=found))
    if not agrees:
        parts.append(SUMMARY_MANIFEST.format(status=status))
    return "; ".join(parts)


def run(ctx: AuditContext) -> AuditResult:
    """Scan every column name and value of the data file; fail on any match."""
    started = time.perf_counter()
    if ctx.dataset is None:
        raise EvidenceMissing(NO_DATASET)
    dataset = ctx.dataset
    frame = dataset.frame
    id_column, id_kind = _declared_id_column(ctx)

    findings: list[_Finding] = []
    values_scanned = 0
    for index, name in enumerate(map(str, frame.columns), start=1):
        name_matches = scan_value(name.strip())
        label = WITHHELD.format(index=index) if name_matches else name
        non_blank = int((frame.iloc[:, index - 1].astype(str).str.strip() != "").sum())
        for match in {m.entity: m for m in name_matches}.values():
            finding = _Finding(label, "column name", match.entity)
            finding.add(match, non_blank)
            findings.append(finding)
        announced = entity_for_column_name(name)
        if announced is not None:
            finding = _Finding(label, "column name", announced, {"modelgate column-name heuristic"})
            finding.cells = non_blank
            findings.append(finding)
        exempt = id_kind is not None and name == id_column and announced is None
        scan = _scan_column(label, frame.iloc[:, index - 1], bare_digits=not exempt)
        values_scanned += scan.values
        findings.extend(scan.findings.values())

    status = dataset.manifest.pii_status.strip()
    agrees = status.lower() in NONE_STATUSES
    rows, columns = int(frame.shape[0]), int(frame.shape[1])
    passed = not findings and agrees
    details: dict[str, Any] = {
        "rows": rows,
        "columns": columns,
        "distinct_values_scanned": values_scanned,
        "manifest": {
            "path": _shown_path(dataset.manifest.path, ctx.config.root),
            "pii_status": status,
            "certified_by": dataset.manifest.pii_certified_by,
            "agrees": agrees,
        },
        "id_column": {
            "column": id_column,
            "declared_kind": id_kind,
            "digit_only_values_checked": id_kind is None,
        },
        "recognizers": RECOGNIZERS,
        "findings": [f.to_json() for f in findings],
    }
    return AuditResult(
        id=AUDIT_ID,
        title=TITLE,
        status="pass" if passed else "fail",
        summary=_summary(findings, status, agrees, rows, columns),
        details=details,
        duration_s=time.perf_counter() - started,
    )
