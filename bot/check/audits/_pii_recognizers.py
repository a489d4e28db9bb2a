# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The pii audit's value recognizers: what one cell holds, each match with a score.

presidio-analyzer's pattern recognizers (no NLP engine, so no spaCy model), checksums for
national ids (Luhn, NHS mod 11, INSEE mod 97, IBAN), regexes for what presidio has no
pattern for (record numbers, passports, UK/DE/FR addresses and postcodes, dates written
with month names), and a person-name recognizer over a gazetteer: the first and last
names of Faker's 80-odd locales, read from the installed package, folded to lower case
without accents. Context words before a span (``Dr``, ``seen by``, ``NHS``, ``passport``)
raise its score. Scores are compared with the thresholds in ``governance.yml`` (``pii:``)
by the audit, not here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR")
PHONE_MIN_DIGITS = 7  # a formatted number ("+44 20 7946 0958", "608-555-0134")
PHONE_MIN_DIGITS_BARE = 10
CARD_MIN_DIGITS = 13
SSN_DIGITS = 9
NHS_DIGITS = 10
CONTEXT_WINDOW = 24  # characters before a span searched for a context word

# Scores: what one match is worth before the per-entity thresholds of governance.yml.
STRONG = 0.85  # checksum-valid, or labelled by a context word
PATTERN = 0.6  # a specific shape (postcode, passport form, street line, name pair)
WEAK = 0.3  # below the default threshold: bare digits that only a column share confirms
CONTEXT_BOOST = 0.25

NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
INTEGER_RE = re.compile(r"^[+-]?\d+$")

MRN_LABELLED_RE = re.compile(
    r"\b(?:MRN|MR\s*#|MR\s*No\.?|Med(?:ical)?\s*Rec(?:ord)?\s*(?:No\.?|Number|#)|hospital\s+no\.?"
    r"|patient\s+(?:id|no\.?|number)|chart\s*(?:no\.?|#))"
    r"\s*[:#-]?\s*[A-Z]{0,3}\d[\dA-Z-]{3,}\b",
    re.IGNORECASE,
)
# a record number without a label: 2-3 capitals then 7-10 digits (AB1234567, KHM-00482913)
MRN_SHAPE_RE = re.compile(r"\b(?:[A-Z]{2,3}-?\d{7,10}|[A-Z]{1,3}-\d{6,10})\b")
PASSPORT_SHAPE_RE = re.compile(
    r"\b(?:[A-Z]\d{8}"  # US next generation
    r"|\d{2}[A-Z]{2}\d{5}"  # FR
    r"|[CFGHJK][0-9CFGHJKLMNPRTVWXYZ](?=[0-9]*[CFGHJKLMNPRTVWXYZ])(?=(?:[A-Z]*\d){4})"
    r"[0-9CFGHJKLMNPRTVWXYZ]{7})\b"  # DE serial: letters and digits mixed
)
PASSPORT_CONTEXT_RE = re.compile(
    r"\b(?:passport|passeport|reisepass|pasaporte|passaporto)\b"
    r"(?:\s*(?:no|number|nr|num|n°|#)\b\.?)?[\s:#.-]*([A-Z0-9]{8,9})\b",
    re.IGNORECASE,
)
FR_NIR_RE = re.compile(
    r"\b([12])\s?(\d{2})\s?(0[1-9]|1[0-2]|[2-9]\d)\s?(\d{2}|2[AB])\s?(\d{3})\s?(\d{3})\s?(\d{2})\b"
)

_STREET_SUFFIX = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl"
    r"|terrace|ter|circle|cir|highway|hwy|parkway|pkwy|square|sq|trail|trl|crescent|close"
    r"|gardens|grove|mews|row|walk|hill"
)
# "742 Evergreen Terrace", "221B Baker Street", "PO Box 1123"
STREET_RE = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+((?:[A-Z][\w.'-]*\s+){{0,4}})({_STREET_SUFFIX})\b\.?"
    r"|\bP\.?\s*O\.?\s*Box\s+\d+",
    re.IGNORECASE,
)
# "Baker Street 12", "Hauptstraße 5", "Unter den Linden 7b"
STREET_NUMBER_AFTER_RE = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüß.'-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer"
    r"|chaussee|steig|pfad)\s+\d{1,4}[a-z]?\b"
    r"|\b(?:[A-ZÄÖÜ][\wäöüß'-]*\s+){1,3}(?:Straße|Strasse|Str\.|Street|Road|Avenue|Lane|Weg"
    r"|Allee|Platz|Gasse|Ring|Damm|Ufer|Linden)\s+\d{1,4}[a-z]?\b"
)
# "12 rue de la Paix", "5, avenue Victor Hugo", "3 bis bd Saint-Michel"
STREET_FR_RE = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|allee"
    r"|impasse|place|quai|cours|route|square|passage|rond-point)\s+[^\d,;]+",
    re.IGNORECASE,
)
UK_POSTCODE_RE = re.compile(
    r"\b(?:GIR\s?0AA"
    r"|[A-PR-UWYZ][0-9][ABCDEFGHJKPSTUW]?\s?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"|[A-PR-UWYZ][0-9]{2}\s?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]?\s?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{2}\s?[0-9][ABD-HJLNP-UW-Z]{2})\b"
)
# "10115 Berlin", "75002 PARIS", "F-75002 Paris", "D-10115"; a count with a unit is not one
EU_POSTCODE_RE = re.compile(
    r"(?<![\d.,])\b(?:[DF]-)?\d{5}\s+([A-ZÀ-ÝÄÖÜ][A-Za-zÀ-ÿäöüß'-]{2,})\b|\b[DF]-\d{5}\b"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


US_ZIP4_RE = re.compile(r"\b\d{5}-\d{4}\b")
UNITS = _words(
    "cells units copies events mg mcg ml iu kg mmol umol nmol pmol cfu rpm days weeks"
    " months years hours minutes seconds counts reads"
)

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre"
    r"|novembre|décembre|decembre|januar|februar|märz|maerz|juni|juli|oktober|dezember"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
# "14 March 1987", "14. März 1987", "March 14, 1987", "1987-03-14T00:00:00"
MONTH_DATE_RE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s+(?:{_MONTHS})\.?\s+(?:19|20)\d{{2}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b"
    r"|\b(?:19|20)\d{2}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d",
    re.IGNORECASE,
)
SSN_CONTEXT_RE = re.compile(r"\b(?:ssn|social\s+security(?:\s+(?:no|number))?)\b", re.I)
NHS_CONTEXT_RE = re.compile(r"\b(?:nhs|national\s+health\s+service)\b", re.I)

# --- person names ---
# a word of letters (hyphens and apostrophes inside), not glued to digits ("CF10", "HER2")
_WORD_RE = re.compile(r"(?<!\w)[^\W\d_]+(?:['’-][^\W\d_]+)*(?!\w)\.?")
TITLES = _words(
    "dr dr. mr mr. mrs mrs. ms ms. miss mx prof prof. sr sr. sra sra. herr frau mme mme."
    " mlle m. dott. dott sig. sig"
)
CUE_WORDS = _words(
    "by with patient pt pt. name named called contact per dear attending nurse consultant"
    " telephoned phoned rang emailed informed told asked met visited thanked surgeon"
    " physician gp referred son daughter wife husband mother father sister brother seen née"
    " nee mrn"
)
PARTICLES = _words(
    "van von de da del della der den di du la le al el bin ben ibn dos das y e ter ten st st. mac"
)
# capitalized words that begin sentences or labels and happen to be in the name lists
STOPWORDS = _words(
    "the a an and or of in on at to for from by with no not is was are be will may can"
    " patient patients left right upper lower inner outer grade stage mass benign malignant"
    " normal stable follow review reviewed seen see noted plan note biopsy core january"
    " february march april may june july august september october november december monday"
    " tuesday wednesday thursday friday saturday sunday street road lane avenue hospital"
    " clinic ward unit centre center university general royal saint north south east west"
    " new old great little mount lake river park hill green bay city county tumour tumor"
    " lesion breast node nodes margin margins clear positive negative mean worst error dr mr"
    " mrs ms prof"
)


@dataclass(frozen=True)
class Match:
    """One recognized span: its entity, score, the recognizer's name and the text."""

    entity: str
    score: float
    recognizer: str
    text: str  # masked before it goes anywhere


def fold(word: str) -> str:
    """Lower case without accents, so ``TOMÁS``, ``Tomás`` and ``tomas`` are one name."""
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _names_of(values: object) -> Iterable[str]:
    if isinstance(values, dict):
        values = list(values)
    if isinstance(values, (list, tuple, set, frozenset)):
        return (v for v in values if isinstance(v, str))
    return ()


@functools.cache
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names (folded) from every locale of Faker's person provider."""
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for klass in provider.__mro__:
            for attr, values in vars(klass).items():
                if "first_name" in attr or "first_romanized" in attr:
                    first.update(fold(n) for n in _names_of(values))
                elif "last_name" in attr or "last_romanized" in attr:
                    last.update(fold(n) for n in _names_of(values))
    stop = {fold(w) for w in STOPWORDS}
    return frozenset(first - stop), frozenset(last - stop)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def luhn_valid(digits: str) -> bool:
    """The Luhn check of card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def nhs_valid(digits: str) -> bool:
    """The NHS number's mod-11 check digit (a remainder of 10 is never issued)."""
    if len(digits) != NHS_DIGITS or len(set(digits)) == 1:
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def nir_valid(text: str) -> bool:
    """The French INSEE number's key: 97 - (13 digits mod 97), Corsica's 2A/2B as 19/18."""
    compact = re.sub(r"\s", "", text).upper()
    body = compact[:13].replace("2A", "19", 1).replace("2B", "18", 1)
    if len(compact) != 15 or not body.isdigit() or not compact[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(compact[13:])


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def snomed_concept(digits: str) -> bool:
    """A SNOMED CT concept id: Verhoeff check digit, partition 00 (core) or 10 (extension)."""
    if not 6 <= len(digits) <= 18 or digits[-3:-1] not in {"00", "10"}:
        return False
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(ch)]]
    return check == 0


def ssn_plausible(digits: str) -> bool:
    """Nine digits that the SSA could have issued (no area 000/666/9xx, group 00, serial 0000)."""
    if len(digits) != SSN_DIGITS or len(set(digits)) == 1:
        return False
    area = digits[:3]
    return (
        area not in {"000", "666"}
        and area[0] != "9"
        and digits[3:5] != "00"
        and digits[5:] != "0000"
        and digits not in {"123456789", "078051120"}
    )


def phone_regions() -> tuple[str, ...]:
    """The regions phone numbers are parsed for (governance may narrow or widen them)."""
    return PHONE_REGIONS


@functools.cache
def presidio(regions: tuple[str, ...] = PHONE_REGIONS) -> dict[str, EntityRecognizer]:
    """presidio's recognizers, built once, with nothing that reaches the network."""
    import tldextract
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UkNinoRecognizer,
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

    return {
        "email": OfflineEmailRecognizer(),
        "ssn": UsSsnRecognizer(),
        "card": CreditCardRecognizer(),
        "ip": IpRecognizer(),
        "date": DateRecognizer(),
        "phone": PhoneRecognizer(supported_regions=regions),
        "nino": UkNinoRecognizer(),
        "iban": IbanRecognizer(),
    }


class _Recognizers:
    """presidio's recognizers, built (and presidio imported, several seconds) at the first
    value that one of them must read: a column of names, codes and measurements never
    needs them."""

    def __init__(self, regions: tuple[str, ...]) -> None:
        self.regions = regions

    def __getitem__(self, name: str) -> EntityRecognizer:
        return presidio(self.regions)[name]


def run_presidio(recognizer: EntityRecognizer, text: str) -> list[Match]:
    """A presidio recognizer's results as matches (DATE_TIME reported as DATE)."""
    out = []
    # no NLP engine: presidio's pattern recognizers accept nlp_artifacts=None
    for res in recognizer.analyze(text, recognizer.supported_entities, None):  # type: ignore[arg-type]
        entity = {"DATE_TIME": "DATE", "IBAN_CODE": "IBAN"}.get(res.entity_type, res.entity_type)
        out.append(
            Match(entity, float(res.score), type(recognizer).__name__, text[res.start : res.end])
        )
    return out


def _context_before(text: str, start: int, pattern: re.Pattern[str], context: str) -> bool:
    return bool(
        pattern.search(text[max(0, start - CONTEXT_WINDOW) : start]) or pattern.search(context)
    )


def bare_digit_matches(digits: str, regions: tuple[str, ...], context: str = "") -> list[Match]:
    """A whole number's matches: checksums are strong, bare shapes weak (a column confirms)."""
    rec = _Recognizers(regions)
    found: list[Match] = []
    n = len(digits.lstrip("+"))
    plain = digits.lstrip("+")
    if n >= CARD_MIN_DIGITS:
        found += [m for m in run_presidio(rec["card"], plain) if m.score >= 0.5]
    if n == NHS_DIGITS and nhs_valid(plain):
        boosted = NHS_CONTEXT_RE.search(context) is not None
        found.append(Match("UK_NHS", STRONG if boosted else WEAK, "modelgate NHS mod-11", digits))
    if n == SSN_DIGITS and ssn_plausible(plain) and not snomed_concept(plain):
        boosted = SSN_CONTEXT_RE.search(context) is not None
        found.append(Match("US_SSN", STRONG if boosted else WEAK, "modelgate SSN shape", digits))
    if n == 15 and nir_valid(plain):
        found.append(Match("FR_NIR", STRONG, "modelgate INSEE mod-97", digits))
    if n >= PHONE_MIN_DIGITS_BARE and n <= 15:
        # a leading + or trunk 0 is how phones are written; other bare runs are ids
        score = PATTERN if digits.startswith(("+", "0")) else WEAK
        found += [
            Match(m.entity, score, m.recognizer, m.text) for m in run_presidio(rec["phone"], digits)
        ]
    return found


_NOT_PHONES = frozenset({"US_SSN", "UK_NHS", "CREDIT_CARD", "IP_ADDRESS", "IBAN", "FR_NIR"})


def _phone_plausible(span: str) -> bool:
    digits = len(_digits(span))
    formatted = any(not ch.isdigit() for ch in span.strip())
    return digits >= (PHONE_MIN_DIGITS if formatted else PHONE_MIN_DIGITS_BARE)


def _regex(entity: str, how: str, pattern: re.Pattern[str], text: str, score: float) -> list[Match]:
    return [Match(entity, score, how, m.group(0)) for m in pattern.finditer(text)]


def _streets(text: str) -> list[Match]:
    found = []
    for m in STREET_RE.finditer(text):
        words, suffix = m.group(1), m.group(2)
        if suffix is None or (words and words[0].isupper() and not suffix.islower()):  # PO Box
            found.append(Match("STREET_ADDRESS", PATTERN, "modelgate street pattern", m.group(0)))
    found += _regex(
        "STREET_ADDRESS",
        "modelgate street pattern (DE/UK order)",
        STREET_NUMBER_AFTER_RE,
        text,
        PATTERN,
    )
    found += _regex("STREET_ADDRESS", "modelgate street pattern (FR)", STREET_FR_RE, text, PATTERN)
    return found


def _postcodes(text: str) -> list[Match]:
    found = _regex("POSTCODE", "modelgate UK postcode", UK_POSTCODE_RE, text, PATTERN)
    for m in EU_POSTCODE_RE.finditer(text):
        city = m.group(1)
        if city is None or fold(city) not in UNITS:
            found.append(Match("POSTCODE", PATTERN, "modelgate DE/FR postcode + city", m.group(0)))
    return found + _regex("POSTCODE", "modelgate US ZIP+4", US_ZIP4_RE, text, PATTERN)


def _ids(text: str) -> list[Match]:
    found = _regex("MEDICAL_RECORD_NUMBER", "modelgate MRN label", MRN_LABELLED_RE, text, STRONG)
    passports = {m.group(0) for m in PASSPORT_SHAPE_RE.finditer(text)}
    labelled = {m.group(1) for m in PASSPORT_CONTEXT_RE.finditer(text)}
    found += [Match("PASSPORT", STRONG, "modelgate passport label", p) for p in labelled]
    found += [
        Match("PASSPORT", PATTERN, "modelgate passport shape", p) for p in passports - labelled
    ]
    passports |= labelled
    found += [
        Match("MEDICAL_RECORD_NUMBER", PATTERN, "modelgate record-number shape", m.group(0))
        for m in MRN_SHAPE_RE.finditer(text)
        if m.group(0) not in passports
    ]
    for m in FR_NIR_RE.finditer(text):
        if nir_valid(m.group(0)):
            found.append(Match("FR_NIR", STRONG, "modelgate INSEE mod-97", m.group(0)))
    return found


def _nhs_formatted(text: str, context: str) -> list[Match]:
    found = []
    for m in re.finditer(r"\b(\d{3})([- ]?)(\d{3})\2(\d{4})\b", text):
        if not nhs_valid(m.group(1) + m.group(3) + m.group(4)):
            continue
        labelled = _context_before(text, m.start(), NHS_CONTEXT_RE, context)
        score = STRONG if labelled else PATTERN if m.group(2) == " " else WEAK
        found.append(Match("UK_NHS", score, "modelgate NHS mod-11", m.group(0)))
    return found


def text_matches(text: str, regions: tuple[str, ...], context: str = "") -> list[Match]:
    """Every candidate match in a value that is not a bare number."""
    rec = _Recognizers(regions)
    digits = len(_digits(text))
    found: list[Match] = []
    if "@" in text:
        found += run_presidio(rec["email"], text)
    if digits >= SSN_DIGITS:
        for m in run_presidio(rec["ssn"], text):
            labelled = SSN_CONTEXT_RE.search(text) or SSN_CONTEXT_RE.search(context)
            if len(_digits(m.text)) == SSN_DIGITS and ssn_plausible(_digits(m.text)):
                found.append(
                    Match("US_SSN", max(m.score, STRONG if labelled else 0.0), m.recognizer, m.text)
                )
        found += _nhs_formatted(text, context)
    if digits >= CARD_MIN_DIGITS:
        found += run_presidio(rec["card"], text)
    if digits >= 10 and any(ch.isalpha() for ch in text[:4]):
        found += run_presidio(rec["iban"], text)
    if ("." in text and digits >= 4) or ":" in text:
        found += run_presidio(rec["ip"], text)
    if digits >= 2:
        found += run_presidio(rec["date"], text)
        found += _regex("DATE", "modelgate month-name date", MONTH_DATE_RE, text, PATTERN)
    if digits >= PHONE_MIN_DIGITS:
        # an SSN, NHS number, card or IP is not also a phone unless written as one (+, ())
        claimed = "|".join(
            _digits(m.text) for m in found if m.entity in _NOT_PHONES and m.score >= PATTERN - 0.1
        )
        found += [
            m
            for m in run_presidio(rec["phone"], text)
            if _phone_plausible(m.text)
            and (not claimed or _digits(m.text) not in claimed or m.text[:1] in "+(")
        ]
    if digits >= 6:
        # presidio's NINO pattern lets a digit stand for the final letter
        found += [m for m in run_presidio(rec["nino"], text) if m.text.strip()[-1:].isalpha()]
        found += _ids(text)
    if digits >= 1:
        found += _streets(text)
        found += _postcodes(text)
    elif re.search(r"\bP\.?\s*O\.?\s*Box\b|\bGIR\b", text):
        found += _streets(text)
    if sum(ch.isalpha() for ch in text) >= 2:
        # "avenue Victor Hugo" is an address, not a person
        streets = [m.text for m in found if m.entity == "STREET_ADDRESS"]
        found += [m for m in names(text) if not any(m.text in street for street in streets)]
    return found


# --- person names ---


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int

    @property
    def folded(self) -> str:
        return fold(self.text.rstrip("."))

    @property
    def cased(self) -> bool:
        """Title case or all capitals (two letters at least): how names are written."""
        core = self.text.rstrip(".")
        parts = [p for p in re.split(r"['’-]", core) if p and fold(p) not in PARTICLES]
        return (
            (core[:1].isupper() or (bool(parts) and core[:1].islower() and "-" in core))
            and sum(ch.isalpha() for ch in core) >= 2
            and all(p[:1].isupper() for p in parts)
        )


def _runs(text: str) -> list[list[_Word]]:
    """Maximal runs of name-cased words separated by spaces (particles allowed inside)."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    previous_end = -1
    for m in _WORD_RE.finditer(text):
        word = _Word(m.group(0), m.start(), m.end())
        joined = (
            bool(current)
            and text[previous_end : word.start].strip() == ""
            and not current[-1].text.endswith(".")
        )
        name_word = word.cased and word.folded not in _STOP_FOLDED
        particle = word.folded in PARTICLES and bool(current)
        if name_word or (particle and joined):
            if not joined:
                if current:
                    runs.append(current)
                current = []
            current.append(word)
        else:
            if current:
                runs.append(current)
            current = []
        previous_end = word.end
    if current:
        runs.append(current)
    # a run never ends on a particle
    return [
        run[: max(i + 1 for i, w in enumerate(run) if w.folded not in PARTICLES)]
        for run in runs
        if any(w.folded not in PARTICLES for w in run)
    ]


_STOP_FOLDED = frozenset(fold(w.rstrip(".")) for w in STOPWORDS | TITLES | CUE_WORDS)


def _cue_before(text: str, start: int) -> tuple[bool, bool]:
    """(a title such as Dr/Mrs right before, a cue word such as 'seen by' right before)."""
    before = text[max(0, start - 30) : start].split()
    last = fold(before[-1]) if before else ""
    return last in TITLES, last in CUE_WORDS or last.rstrip(":,") in CUE_WORDS


def names(text: str) -> list[Match]:
    """Person names in a value: a known first name with a known last name, 'LAST, First',
    or a (known) name right after a title or a cue word."""
    runs = _runs(text)
    if not runs:
        return []  # the gazetteer is loaded only when some value has a capitalized word
    first, last = gazetteer()
    found: list[Match] = []
    for i, run in enumerate(runs):
        words = [w for w in run if w.folded not in PARTICLES]
        folded = [w.folded for w in words]
        parts = [p for f in folded for p in (f, *f.split("-"))]
        span = text[run[0].start : run[-1].end]
        titled, cued = _cue_before(text, run[0].start)
        known_first = [f for f in folded if f in first or any(p in first for p in f.split("-"))]
        known_last = [f for f in folded if f in last or any(p in last for p in f.split("-"))]
        known = any(p in first or p in last for p in parts)
        score = 0.0
        if len(words) >= 2 and known_first and any(f != known_first[0] for f in known_last):
            score = PATTERN + 0.1
        elif 2 <= len(words) <= 3 and folded[0] in known_first:
            score = PATTERN  # "Robert Whitfield": a known first name leads the run
        elif titled:
            score = PATTERN + 0.1
        elif cued and known:
            score = PATTERN
        elif len(words) >= 2 and (known_first or known_last):
            score = WEAK
        # "GARCIA, MARIA" / "Okafor, Chiamaka": a surname run, a comma, a first name
        following = runs[i + 1] if i + 1 < len(runs) else None
        if (
            following
            and text[run[-1].end : following[0].start].strip() == ","
            and len(words) <= 3
            and (known or following[0].folded in first)
        ):
            score = max(score, PATTERN + 0.1)
            span = text[run[0].start : following[-1].end]
        if score > 0:
            found.append(Match("PERSON", score, "modelgate name gazetteer (Faker locales)", span))
    return found


def whole_value_name(text: str) -> tuple[bool, bool]:
    """(the value is only a name-shaped run of 1-4 words or 'Last, First', a word is known)."""
    stripped = text.strip()
    runs = _runs(stripped)
    if not runs or len(runs) > 2:
        return False, False
    words = [w for run in runs for w in run]
    covered = "".join(w.text for w in words)
    rest = re.sub(r"[\s,.]", "", stripped)
    if covered.replace(".", "") != rest.replace(".", "") or len(words) > 5:
        return False, False
    if len(runs) == 2 and stripped[runs[0][-1].end : runs[1][0].start].strip() != ",":
        return False, False
    first, last = gazetteer()
    known = any(w.folded in first or w.folded in last for w in words)
    return True, known
