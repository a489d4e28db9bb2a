# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Does the training data hold personal data?

Every column of the data file is checked, features or not, the declared id column too:
its name against column-name heuristics, and its distinct values against the recognizers
of :mod:`modelgate.bot.check.audits._pii_recognizers` (presidio's pattern recognizers without an NLP
engine, checksum-validated national ids, record-number, passport, address and postcode
patterns, and a person-name gazetteer from Faker's locales). Nothing is downloaded: no
spaCy model, no suffix list. Some evidence is judged on the column, not the value: a
column mostly of 9 bare digits is SSNs unless they read as an allocated sequence, a column
mostly of NHS-valid 10-digit numbers is NHS numbers, a column mostly of names is names.

Each match has a score; it counts when the score reaches the entity's threshold in
``governance.yml`` (``pii.thresholds``, else ``pii.min_score``). The manifest may declare
the id column verifiable (``id_column_pattern``, a regex every id must match): then shape
heuristics (record-number and passport shapes, bare phone numbers) are not applied to ids
that match it, while checksums and SSN/card/NHS checks still are.

The report names columns, entity types and counts and shows only masked shapes
(``j***@***.com``, ``###-##-####``): it must never copy the personal data it found.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

import pandas as pd

from modelgate.bot.check.audits import _pii_recognizers as rec
from modelgate.bot.check.audits._pii_recognizers import Match
from modelgate.bot.check.audits._util import mask
from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.governance import PiiSection

AUDIT_ID = "pii"
TITLE = "Training data holds no personal data"

EXAMPLES_SHOWN = 3
NONE_STATUSES = frozenset({"none"})
WHOLE_FLOAT_MIN = 10**8  # "842302.0" is a count; "536228411.0" may be an SSN
SEQUENCE_PREFIX = 4  # 9-digit values sharing their first 4 digits are an allocated sequence
KNOWN_NAME_SHARE = 0.2  # a column of names has a known first or last name in 1 value of 5
ID_MISMATCH = "ID_FORMAT_MISMATCH"
# recognizers that judge a shape, not a checksum: a verified id column is exempt from them
SHAPE_RECOGNIZERS = frozenset(
    {"modelgate record-number shape", "modelgate passport shape", "PhoneRecognizer"}
)

SUMMARY_PASS = "no personal data in {columns} columns x {rows} rows; manifest PII status '{status}'"
SUMMARY_FOUND = "personal data found: {found}"
SUMMARY_MANIFEST = "manifest PII status '{status}' disagrees (the audit expects 'none')"
SUMMARY_ID = "{count} id(s) in '{column}' do not match the manifest's id_column_pattern"
WITHHELD = "column #{index} (name withheld: it matches a PII recognizer)"
NO_DATASET = "the data file could not be loaded, so it cannot be checked for personal data"
BAD_PATTERN = "the manifest's id_column_pattern {pattern!r} is not a valid regex: {error}"

NUMBER_RE = rec.NUMBER_RE
INTEGER_RE = rec.INTEGER_RE


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
        ),
    ),
    ("UK_NINO", _bounded(r"national_?insurance(?:_?(?:number|no))?|nino|ni_?(?:number|no)")),
    ("UK_NHS", _bounded(r"nhs(?:_?(?:number|no|num|id))?|chi_?(?:number|no)")),
    ("FR_NIR", _bounded(r"nir|insee(?:_?(?:number|no))?|secu(?:rite_sociale)?")),
    ("PASSPORT", _bounded(r"passports?(?:_?(?:number|no|num|id))?|passeport|reisepass")),
    (
        "MEDICAL_RECORD_NUMBER",
        _bounded(
            r"mrns?|medical_?records?(?:_?(?:number|no|num|id))?|med_?rec(?:_?(?:number|no|num|id))?"
            r"|patient_?(?:id|number|no|num|nr)|hospital_?(?:id|number|no)"
            r"|chart_?(?:number|no|id)|health_?record(?:_?(?:number|no|id))?"
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
        ),
    ),
    ("POSTCODE", _bounded(r"zip(?:_?code)?|post_?code|postal_?code|plz|code_?postal")),
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
    "PERSON": "column name; Faker-locale name gazetteer (first + last, 'LAST, First', after a "
    "title or cue word, accents and capitals folded); a column mostly of name-shaped values",
    "EMAIL_ADDRESS": "presidio EmailRecognizer (offline suffix list)",
    "PHONE_NUMBER": "presidio PhoneRecognizer (phonenumbers, pii.phone_regions); bare digit runs "
    "only with a leading + or 0",
    "US_SSN": "presidio UsSsnRecognizer (delimited); bare 9 digits when most of a column is, "
    "unless they share a prefix like an allocated sequence",
    "UK_NHS": "mod-11 check digit; spaced 3-3-4, after 'NHS', or most of a column of 10 digits",
    "UK_NINO": "presidio UkNinoRecognizer",
    "FR_NIR": "INSEE number with its mod-97 key",
    "IBAN": "presidio IbanRecognizer (mod-97 checked)",
    "PASSPORT": "US/FR/DE passport-number forms; any 8-9 characters after 'passport'",
    "MEDICAL_RECORD_NUMBER": "column name; values labelled MRN / hospital no.; 2-3 capitals "
    "then 7-10 digits without a label",
    "DATE_OF_BIRTH": "column name (any full date in a value is reported as DATE)",
    "DATE": "presidio DateRecognizer, and dates with month names (full dates are HIPAA "
    "identifiers)",
    "STREET_ADDRESS": "column name; US/UK 'number name suffix', DE/UK 'name suffix number', "
    "FR 'number rue ...', PO Box",
    "POSTCODE": "column name; UK postcodes, DE/FR 5 digits + town, US ZIP+4",
    "IP_ADDRESS": "presidio IpRecognizer (validated by ipaddress)",
    "CREDIT_CARD": "presidio CreditCardRecognizer (Luhn-checked)",
}


@dataclass(frozen=True)
class Policy:
    """The thresholds and regions the audit applies (``governance.yml`` ``pii:``)."""

    section: PiiSection = field(default_factory=PiiSection)

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(self.section.phone_regions)

    def keeps(self, match: Match) -> bool:
        """Whether a match's score reaches its entity's threshold."""
        thresholds = cast("dict[str, float]", self.section.thresholds)
        return match.score >= thresholds.get(match.entity, self.section.min_score)


DEFAULT_POLICY = Policy()


@dataclass
class _Finding:
    column: str
    where: str  # "column name" or "values"
    entity: str
    recognizers: set[str] = field(default_factory=set)
    cells: int = 0
    distinct: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, match: Match, cells: int) -> None:
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


def candidates(text: str, policy: Policy = DEFAULT_POLICY, context: str = "") -> list[Match]:
    """Every candidate match in one value, scored, before thresholds and column evidence."""
    whole = whole_number(text)
    if whole is not None:
        return rec.bare_digit_matches(whole.lstrip("-"), policy.regions, context)
    if NUMBER_RE.match(text):
        return []  # a decimal measurement: no identifier is written this way
    return rec.text_matches(text, policy.regions, context)


def scan_value(text: str, policy: Policy = DEFAULT_POLICY) -> list[Match]:
    """The matches in one value that reach their thresholds (no column evidence)."""
    return [m for m in candidates(text, policy) if policy.keeps(m)]


def _allocated_sequence(values: list[str]) -> bool:
    """Most values share one prefix: numbers handed out in order, not SSNs."""
    prefixes: dict[str, int] = {}
    for v in values:
        prefixes[v[:SEQUENCE_PREFIX]] = prefixes.get(v[:SEQUENCE_PREFIX], 0) + 1
    return max(prefixes.values()) * 2 >= len(values)


def _upgrade(
    matches: dict[str, list[Match]], values: list[str], entity: str, how: str
) -> None:
    for value in values:
        matches[value] = [
            Match(m.entity, max(m.score, rec.PATTERN), f"{m.recognizer} + {how}", m.text)
            if m.entity == entity
            else m
            for m in matches[value]
        ]


def _column_evidence(matches: dict[str, list[Match]], policy: Policy) -> None:
    """Raise the scores of weak matches that most of the column confirms."""
    share = policy.section.column_share
    wholes = {v: whole_number(v) for v in matches}
    nine = [v for v, w in wholes.items() if w is not None and len(w.lstrip("+-")) == rec.SSN_DIGITS]
    ssn = [v for v in nine if any(m.entity == "US_SSN" for m in matches[v])]
    if ssn and len(ssn) >= share * len(nine) and not _allocated_sequence(
        [str(wholes[v]) for v in nine]
    ):
        _upgrade(matches, ssn, "US_SSN", "column of 9-digit SSN shapes")
    ten = [v for v, w in wholes.items() if w is not None and len(w.lstrip("+-")) == rec.NHS_DIGITS]
    nhs = [v for v in ten if any(m.entity == "UK_NHS" for m in matches[v])]
    if nhs and len(nhs) >= share * len(ten):
        _upgrade(matches, nhs, "UK_NHS", "column of NHS-valid numbers")
    texts = [v for v, w in wholes.items() if w is None and not NUMBER_RE.match(v)]
    shaped = {v: rec.whole_value_name(v) for v in texts}
    named = [v for v, (is_name, _) in shaped.items() if is_name]
    known = sum(1 for v in named if shaped[v][1])
    if (
        len(named) >= policy.section.name_min_distinct
        and len(named) >= share * len(texts)
        and known >= KNOWN_NAME_SHARE * len(named)
    ):
        for v in named:
            shaped_match = Match("PERSON", rec.PATTERN, "column of name-shaped values", v)
            matches[v] = [*matches[v], shaped_match]


def recognize_column(
    values: Iterable[str],
    *,
    column: str = "",
    policy: Policy = DEFAULT_POLICY,
    verified: re.Pattern[str] | None = None,
) -> dict[str, list[Match]]:
    """The audit's recognizer entry point: each distinct value of one column mapped to the
    matches that reach their thresholds, column evidence included. ``verified`` is a
    declared id pattern: ids matching it are exempt from shape-only recognizers."""
    context = normalize_column_name(column).replace("_", " ")
    matches = {v: candidates(v, policy, context) for v in dict.fromkeys(values)}
    _column_evidence(matches, policy)
    kept: dict[str, list[Match]] = {}
    for value, found in matches.items():
        exempt = verified is not None and verified.fullmatch(value) is not None
        kept[value] = [
            m for m in found
            if policy.keeps(m)
            and not (exempt and m.recognizer.split(" + ")[0] in SHAPE_RECOGNIZERS)
        ]
    return kept


def _distinct_values(series: pd.Series) -> dict[str, int]:
    counts: dict[str, int] = {}
    for raw, n in series.value_counts(dropna=True).items():
        text = str(raw).strip()
        if text:
            counts[text] = counts.get(text, 0) + int(n)
    return counts


def _scan_column(
    label: str, name: str, series: pd.Series, policy: Policy, verified: re.Pattern[str] | None
) -> tuple[dict[str, _Finding], int]:
    counts = _distinct_values(series)
    findings: dict[str, _Finding] = {}
    kept = recognize_column(counts, column=name, policy=policy, verified=verified)
    for value, found in kept.items():
        for match in {m.entity: m for m in found}.values():  # one value counts once per entity
            finding = findings.setdefault(match.entity, _Finding(label, "values", match.entity))
            finding.add(match, counts[value])
    return findings, len(counts)


@dataclass(frozen=True)
class _IdDeclaration:
    column: str
    kind: str | None
    pattern: str | None
    sensitive: bool


def _declared_id_column(ctx: AuditContext) -> _IdDeclaration:
    """The governance id column and what the manifest declares about it (same column only)."""
    assert ctx.dataset is not None
    id_column = ctx.config.governance.data.id_column
    manifest = ctx.dataset.manifest
    raw = manifest.raw if manifest.id_column == id_column else {}
    kind, pattern = raw.get("id_column_kind"), raw.get("id_column_pattern")
    return _IdDeclaration(
        column=id_column,
        kind=kind.strip() if isinstance(kind, str) and kind.strip() else None,
        pattern=pattern if isinstance(pattern, str) and pattern else None,
        sensitive=raw.get("id_column_sensitive") is not False,
    )


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise EvidenceMissing(BAD_PATTERN.format(pattern=pattern, error=exc)) from exc


def _shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _summary(findings: list[_Finding], status: str, agrees: bool, rows: int, columns: int) -> str:
    if not findings and agrees:
        return SUMMARY_PASS.format(columns=columns, rows=rows, status=status)
    parts = []
    pii_found = [f for f in findings if f.entity != ID_MISMATCH]
    if pii_found:
        by_entity: dict[str, list[_Finding]] = {}
        for f in pii_found:
            by_entity.setdefault(f.entity, []).append(f)
        found = ", ".join(
            f"{entity} in {len({f.column for f in fs})} column(s)"
            for entity, fs in sorted(by_entity.items())
        )
        parts.append(SUMMARY_FOUND.format(found=found))
    parts += [SUMMARY_ID.format(count=f.cells, column=f.column) for f in findings
              if f.entity == ID_MISMATCH]
    if not agrees:
        parts.append(SUMMARY_MANIFEST.format(status=status))
    return "; ".join(parts)


def _id_mismatches(label: str, series: pd.Series, verified: re.Pattern[str]) -> _Finding | None:
    finding = _Finding(label, "values", ID_MISMATCH, {"manifest id_column_pattern"})
    for value, cells in _distinct_values(series).items():
        if verified.fullmatch(value) is None:
            finding.add(Match(ID_MISMATCH, 1.0, "manifest id_column_pattern", value), cells)
    return finding if finding.cells else None


def _column_findings(
    frame: pd.DataFrame, policy: Policy, declared: _IdDeclaration
) -> tuple[list[_Finding], int]:
    verified = _compile(declared.pattern)
    findings: list[_Finding] = []
    values_scanned = 0
    for index, name in enumerate(map(str, frame.columns), start=1):
        series = frame.iloc[:, index - 1]
        name_matches = scan_value(name.strip(), policy)
        label = WITHHELD.format(index=index) if name_matches else name
        non_blank = int((series.astype(str).str.strip() != "").sum())
        for match in {m.entity: m for m in name_matches}.values():
            finding = _Finding(label, "column name", match.entity)
            finding.add(match, non_blank)
            findings.append(finding)
        announced = entity_for_column_name(name)
        if announced is not None:
            finding = _Finding(label, "column name", announced, {"modelgate column-name heuristic"})
            finding.cells = non_blank
            findings.append(finding)
        is_id = name == declared.column and verified is not None
        scan, scanned = _scan_column(label, name, series, policy, verified if is_id else None)
        values_scanned += scanned
        findings.extend(scan.values())
        if is_id and verified is not None:
            mismatch = _id_mismatches(label, series, verified)
            findings.extend([mismatch] if mismatch else [])
    return findings, values_scanned


def run(ctx: AuditContext) -> AuditResult:
    """Scan every column name and value of the data file; fail on any match."""
    started = time.perf_counter()
    if ctx.dataset is None:
        raise EvidenceMissing(NO_DATASET)
    dataset = ctx.dataset
    frame = dataset.frame
    policy = Policy(ctx.config.governance.pii)
    declared = _declared_id_column(ctx)
    findings, values_scanned = _column_findings(frame, policy, declared)

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
            "column": declared.column,
            "declared_kind": declared.kind,
            "pattern": declared.pattern,
            "verifiable": declared.pattern is not None,
            "sensitive": declared.sensitive,
            "digit_only_values_checked": True,
        },
        "thresholds": {
            "min_score": policy.section.min_score,
            **dict(sorted(policy.section.thresholds.items())),
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
