# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Write ``cells.csv``: the labelled corpus of the pii audit's recognizers.

Run once (``python tests/check/audits/pii_corpus/generate.py``); the seed is fixed, so the
file is the same on every run, and the test reads the committed file. Every row is one
cell: ``set`` (``pii`` or ``clean``), ``column`` (cells of a column are judged together,
as the audit judges a column), ``value``, ``kinds`` (the PII entities the cell holds,
``|``-separated; empty for a clean cell). Columns have neutral names so that only values
are judged. Names are written here by hand, from many cultures, and are not drawn from
the gazetteer the recognizer uses (Faker's): some are in it, some are not. Identifiers
carry valid check digits (Luhn, NHS mod 11, INSEE mod 97, IBAN); the clean specimen ids
are 9-10 digit numbers that are not NHS-valid, and the 9-digit ones are accession
sequences, as a laboratory system hands them out.
"""

from __future__ import annotations

import csv
import random
import string
from pathlib import Path

SEED = 20261116
OUT = Path(__file__).with_name("cells.csv")

FIRST = [
    "Tomás",
    "María",
    "José",
    "Lucía",
    "Siobhán",
    "Aoife",
    "Seán",
    "Jürgen",
    "Søren",
    "Zoë",
    "François",
    "Hélène",
    "Amélie",
    "Björn",
    "Ingrid",
    "Chiamaka",
    "Oluwaseun",
    "Ngozi",
    "Kwame",
    "Amara",
    "Priya",
    "Anjali",
    "Rohan",
    "Arjun",
    "Wei",
    "Mei",
    "Hiroshi",
    "Aiko",
    "Minh",
    "Thi",
    "Fatima",
    "Mohammed",
    "Yusuf",
    "Leila",
    "Dmitri",
    "Olga",
    "Agnieszka",
    "Paweł",
    "Giulia",
    "Matteo",
    "Margaret",
    "Robert",
    "Eleanor",
    "Jamal",
    "Keisha",
    "Declan",
    "Ines",
    "Kateřina",
    "Zsófia",
    "Ayşe",
]
LAST = [
    "García",
    "Fernández",
    "Hernández-Ruiz",
    "O'Brien",
    "Ní Bhriain",
    "Müller",
    "Schröder",
    "Nørgaard",
    "Lefèvre",
    "Dubois",
    "Beaumont",
    "Lindqvist",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Raghunathan",
    "Sharma",
    "Patel",
    "Zhang",
    "Chen",
    "Tanaka",
    "Watanabe",
    "Nguyen",
    "Tran",
    "Al-Sayed",
    "Haddad",
    "Khan",
    "Ivanova",
    "Kowalska",
    "Wiśniewski",
    "Rossi",
    "Bianchi",
    "Whitfield",
    "Thompson",
    "MacLeod",
    "Washington",
    "Dvořák",
    "Kovács",
    "Yılmaz",
    "van der Berg",
    "de la Cruz",
    "dos Santos",
]
TITLES = ["Dr", "Dr.", "Mr", "Mrs", "Ms", "Prof."]
NOTE_WITH_NAME = [
    "seen by {full} for follow-up",
    "Pt {FULL} reports mild tenderness at biopsy site",
    "discussed results with {full} (daughter) by phone",
    "{full} attended with husband; consent signed",
    "telephoned {first} re results, no answer",
    "{title} {last} declined contrast",
    "referred by Dr {last} for core biopsy",
    "patient {full} to return in 6 weeks",
    "{LAST}, {FIRST} - second opinion requested",
    "MDT: case of {full} reviewed, plan surgery",
]
CLEAN_NOTES = [
    "follow-up in {n} months",
    "core biopsy x{n}, 14G needle",
    "BI-RADS {b}; US-guided FNA",
    "ER+ PR+ HER2-",
    "ER- PR- HER2+ (IHC 3+)",
    "Ki-67 {p}%",
    "no atypia seen",
    "benign features, no further action",
    "Stable disease, re-image in {n} months",
    "left breast, upper outer quadrant",
    "right breast, 2 o'clock, {n} cm from nipple",
    "reviewed at MDT, plan: surveillance",
    "Will recall for repeat imaging",
    "Patient declined contrast",
    "tolerated procedure well",
    "mass {d} x {d} mm on ultrasound",
    "Grade {g} invasive ductal carcinoma",
    "DCIS, intermediate grade",
    "margins clear ({n} mm)",
    "sentinel node 0/{n}",
    "pT1c pN0 M0",
    "Tamoxifen 20 mg daily",
    "Anastrozole 1 mg daily",
    "repeat FNA if symptoms persist",
    "cyst aspirated, fluid clear",
    "fibroadenoma, no change",
    "specimen adequate for diagnosis",
    "Calcifications, segmental, {n} cm",
    "pain score {n}/10",
    "BP 120/80, HR 72",
    "Hb {h} g/dL",
    "eGFR {n} mL/min",
    "May need MRI if dense tissue",
    "Mark lesion with clip before surgery",
]
STREETS_US = ["Evergreen Terrace", "Maple Street", "Oak Avenue", "Sunset Boulevard", "Elm Drive"]
STREETS_UK = ["Baker Street", "Kings Road", "Church Lane", "Victoria Road", "Station Road"]
STREETS_DE = ["Hauptstraße", "Berliner Str.", "Goethestraße", "Schillerweg", "Lindenallee"]
STREETS_FR = ["rue de la Paix", "avenue Victor Hugo", "boulevard Saint-Michel", "rue Oberkampf"]
TOWNS_DE = ["Berlin", "München", "Hamburg", "Köln", "Leipzig"]
TOWNS_FR = ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes"]
UK_POSTCODES = [
    "SW1A 1AA",
    "NW1 6XE",
    "EC1A 1BB",
    "M1 1AE",
    "B33 8TH",
    "CR2 6XH",
    "DN55 1PT",
    "W1A 0AX",
    "EH1 1YZ",
    "LS1 4AP",
    "BS1 5TR",
    "G2 1DY",
    "CF10 1EP",
]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        digits = body + check
        total = sum(
            (n * 2 - 9 if n * 2 > 9 else n * 2) if i % 2 else n
            for i, n in enumerate(int(c) for c in reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def nhs_check(nine: str) -> int | None:
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return None if check == 10 else check


def nhs_number(rng: random.Random) -> str:
    while True:
        nine = str(rng.randint(400_000_000, 799_999_999))
        check = nhs_check(nine)
        if check is not None:
            return nine + str(check)


def nir(rng: random.Random) -> str:
    body = (
        f"{rng.choice('12')}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}"
        f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    return body + f"{97 - int(body) % 97:02d}"


def iban(country: str, bban: str) -> str:
    moved = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in moved))
    return f"{country}{98 - number % 97:02d}{bban}"


def ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def grouped(text: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


def _person(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(FIRST), rng.choice(LAST), rng.choice(TITLES)


def person_cells(rng: random.Random) -> tuple[list[str], list[str]]:
    """(a column of names written many ways, notes that mention a person)."""
    names = []
    for i in range(40):
        first, last, title = _person(rng)
        names.append(
            [
                f"{first} {last}",
                f"{last.upper()}, {first.upper()}",
                f"{last}, {first}",
                f"{first.upper()} {last.upper()}",
                f"{title} {first} {last}",
            ][i % 5]
        )
    notes = []
    for i in range(40):
        first, last, title = _person(rng)
        notes.append(
            NOTE_WITH_NAME[i % len(NOTE_WITH_NAME)].format(
                full=f"{first} {last}",
                FULL=f"{first} {last}".upper(),
                first=first,
                last=last,
                FIRST=first.upper(),
                LAST=last.upper(),
                title=title,
            )
        )
    return names, notes


def clean_note(rng: random.Random) -> str:
    return rng.choice(CLEAN_NOTES).format(
        n=rng.randint(1, 12),
        b=rng.choice(["2", "3", "4a", "4b", "5"]),
        p=rng.randint(1, 60),
        d=rng.randint(3, 40),
        g=rng.randint(1, 3),
        h=round(rng.uniform(9, 16), 1),
    )


def addresses(rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for i in range(36):
        kind = i % 6
        n = rng.randint(1, 240)
        if kind == 0:
            out.append((f"{n} {rng.choice(STREETS_US)}", "STREET_ADDRESS"))
        elif kind == 1:
            out.append(
                (
                    f"{n}{rng.choice(['', 'B'])} {rng.choice(STREETS_UK)}, London "
                    f"{rng.choice(UK_POSTCODES)}",
                    "STREET_ADDRESS|POSTCODE",
                )
            )
        elif kind == 2:
            out.append(
                (
                    f"{rng.choice(STREETS_DE)} {n}, {rng.randint(10115, 99998)} "
                    f"{rng.choice(TOWNS_DE)}",
                    "STREET_ADDRESS|POSTCODE",
                )
            )
        elif kind == 3:
            out.append(
                (
                    f"{rng.choice(STREETS_UK)} {n}, {rng.randint(10115, 14199)} Berlin",
                    "STREET_ADDRESS|POSTCODE",
                )
            )
        elif kind == 4:
            out.append(
                (
                    f"{n}, {rng.choice(STREETS_FR)}, {rng.randint(1, 95):02d}"
                    f"{rng.randint(0, 999):03d} {rng.choice(TOWNS_FR).upper()}",
                    "STREET_ADDRESS|POSTCODE",
                )
            )
        else:
            out.append(
                (f"Flat {rng.randint(1, 9)}, {n} {rng.choice(STREETS_UK)}", "STREET_ADDRESS")
            )
    return out


def pii_columns(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    names, notes = person_cells(rng)
    cols: dict[str, list[tuple[str, str]]] = {"c_people": [(n, "PERSON") for n in names]}
    cols["c_notes"] = [(n, "PERSON") for n in notes]
    cols["c_contact"] = []
    for i in range(28):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = "".join(
            c for c in f"{first}.{last}".lower() if (c.isascii() and c.isalpha()) or c == "."
        )
        domain = rng.choice(
            ["example.com", "nhs.net", "hospital.org", "mail.co.uk", "web.de", "orange.fr"]
        )
        cols["c_contact"].append((f"{local}{i}@{domain}", "EMAIL_ADDRESS"))
    phones = []
    for i in range(30):
        a, b = rng.randint(200, 989), rng.randint(1000, 9999)
        phones.append(
            [
                f"({rng.randint(201, 989)}) 555-{b}",
                f"+44 20 7946 {rng.randint(0, 999):04d}",
                f"07700 900{rng.randint(0, 999):03d}",
                f"+49 30 {rng.randint(1000000, 9999999)}",
                f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)}",
                f"0{rng.randint(30, 89)} {a}{b}",
            ][i % 6]
        )
    cols["c_phone"] = [(p, "PHONE_NUMBER") for p in phones]
    cols["c_ssn"] = [
        (f"{s[:3]}{sep}{s[3:5]}{sep}{s[5:]}", "US_SSN")
        for s, sep in ((ssn(rng), rng.choice("- ")) for _ in range(15))
    ]
    cols["c_nhs"] = [
        (f"{n[:3]} {n[3:6]} {n[6:]}", "UK_NHS") for n in (nhs_number(rng) for _ in range(15))
    ]
    cols["c_nhs_bare"] = [(nhs_number(rng), "UK_NHS") for _ in range(15)]
    cols["c_ids_ssn"] = [(ssn(rng), "US_SSN") for _ in range(20)]  # an id column of bare SSNs
    mrn = []
    for i in range(30):
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
        mrn.append(
            [
                f"MRN: {rng.randint(10**7, 10**8 - 1):08d}",
                f"{letters}{rng.randint(10**6, 10**7 - 1)}",
                f"KHM-{rng.randint(0, 10**8 - 1):08d}",
                f"Hospital No. {rng.randint(10**6, 10**7)}",
                f"{letters}{rng.randint(10**6, 10**7 - 1)}",
            ][i % 5]
        )
    cols["c_record"] = [(m, "MEDICAL_RECORD_NUMBER") for m in mrn]
    dob = []
    months = ["January", "March", "June", "September", "November"]
    for i in range(30):
        y, m, d = rng.randint(1930, 2005), rng.randint(1, 12), rng.randint(1, 28)
        dob.append(
            [
                f"{y}-{m:02d}-{d:02d}",
                f"{d:02d}/{m:02d}/{y}",
                f"{m:02d}/{d:02d}/{y}",
                f"{d:02d}.{m:02d}.{y}",
                f"{d} {rng.choice(months)} {y}",
                f"{rng.choice(months)} {d}, {y}",
            ][i % 6]
        )
    cols["c_born"] = [(x, "DATE") for x in dob]
    cols["c_address"] = addresses(rng)
    postcodes = [rng.choice(UK_POSTCODES) for _ in range(12)]
    postcodes += [f"{rng.randint(10115, 99998)} {rng.choice(TOWNS_DE)}" for _ in range(7)]
    postcodes += [
        f"{rng.randint(1, 95):02d}{rng.randint(0, 999):03d} {rng.choice(TOWNS_FR)}"
        for _ in range(7)
    ]
    cols["c_postcode"] = [(p, "POSTCODE") for p in postcodes]
    ips = [".".join(str(rng.randint(1, 254)) for _ in range(4)) for _ in range(18)]
    ips += [f"2001:db8:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}" for _ in range(8)]
    cols["c_host"] = [(ip, "IP_ADDRESS") for ip in ips]
    cards = []
    for i in range(26):
        number = luhn_complete(*[("4", 16), ("51", 16), ("55", 16), ("37", 15)][i % 4], rng)
        cards.append([number, grouped(number), grouped(number, sep="-")][i % 3])
    cols["c_card"] = [(c, "CREDIT_CARD") for c in cards]
    passports = []
    for i in range(26):
        digits = "".join(rng.choice(string.digits) for _ in range(9))
        passports.append(
            [
                f"{rng.choice(string.ascii_uppercase)}{digits[:8]}",
                f"{digits[:2]}{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}"
                f"{digits[2:7]}",
                f"C{rng.choice('FGHJK')}{digits[:3]}{rng.choice('LMNPRTVWXYZ')}{digits[3:6]}",
                f"passport no. {digits}",
            ][i % 4]
        )
    cols["c_travel"] = [(p, "PASSPORT") for p in passports]
    nino_first, nino_second = "ABCEGHJKLMNPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    ninos = []
    for i in range(20):
        pre = rng.choice(nino_first) + rng.choice(nino_second)
        if pre in {"BG", "GB", "NK", "KN", "NT", "TN", "ZZ"}:
            pre = "AB"
        six = f"{rng.randint(0, 999999):06d}"
        ninos.append(
            [
                f"{pre} {six[:2]} {six[2:4]} {six[4:]} {rng.choice('ABCD')}",
                f"{pre}{six}{rng.choice('ABCD')}",
            ][i % 2]
        )
    cols["c_nino"] = [(n, "UK_NINO") for n in ninos]
    nirs = [nir(rng) for _ in range(20)]
    cols["c_nir"] = [
        (
            n if i % 2 else f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}",
            "FR_NIR",
        )
        for i, n in enumerate(nirs)
    ]
    ibans = []
    for i in range(20):
        if i % 3 == 0:
            code = iban("DE", f"{rng.randint(10**17, 10**18 - 1)}")
        elif i % 3 == 1:
            code = iban("FR", f"{rng.randint(10**22, 10**23 - 1)}")
        else:
            code = iban("GB", f"WEST{rng.randint(10**13, 10**14 - 1)}")
        ibans.append(grouped(code) if i % 2 else code)
    cols["c_bank"] = [(b, "IBAN") for b in ibans]
    return cols


def clean_columns(rng: random.Random) -> dict[str, list[str]]:
    rows = 200
    cols: dict[str, list[str]] = {}
    cols["k_hb"] = [f"{rng.uniform(9, 17):.1f}" for _ in range(rows)]
    cols["k_glucose"] = [f"{rng.uniform(3.5, 14):.2f}" for _ in range(rows)]
    cols["k_creat"] = [str(rng.randint(40, 180)) for _ in range(rows)]
    cols["k_platelets"] = [str(rng.randint(120_000, 450_000)) for _ in range(rows)]
    cols["k_wbc"] = [f"{rng.uniform(3, 15):.2f}e9" for _ in range(rows)]
    cols["k_radius"] = [f"{rng.uniform(6, 28):.4f}" for _ in range(rows)]
    cols["k_age_bmi"] = [
        str(rng.randint(18, 95)) if i % 2 else f"{rng.uniform(17, 45):.1f}" for i in range(rows)
    ]
    base = rng.randint(202300000, 202399000)
    cols["k_accession"] = [str(base + i * rng.randint(1, 7)) for i in range(rows)]
    specimens: list[str] = []
    while len(specimens) < rows:
        candidate = str(rng.randint(1_000_000_000, 9_999_999_999))
        if nhs_check(candidate[:9]) != int(candidate[9]):
            specimens.append(candidate)
    cols["k_specimen"] = specimens
    snomed = [
        "254837009",
        "372064008",
        "22298006",
        "73211009",
        "271737000",
        "399068003",
        "363346000",
        "408643008",
        "126926005",
        "93761005",
    ]
    cols["k_snomed"] = [rng.choice(snomed) for _ in range(rows)]
    cols["k_codes"] = [
        rng.choice(
            [
                "C50.912",
                "C50.411",
                "D05.10",
                "Z85.3",
                "N60.11",
                "2345-7",
                "4548-4",
                "LOINC 718-7",
                "ICD-10 C50.9",
            ]
        )
        for _ in range(rows)
    ]
    cols["k_category"] = [
        rng.choice(
            [
                "Benign",
                "Malignant",
                "Left",
                "Right",
                "Invasive ductal",
                "Invasive lobular",
                "DCIS",
                "Mucinous",
                "Tubular",
                "Medullary",
                "Papillary",
                "Grade 1",
                "Grade 2",
                "Grade 3",
                "Upper Outer",
                "Lower Inner",
                "Central",
            ]
        )
        for _ in range(rows)
    ]
    cols["k_measure"] = [
        rng.choice(
            [
                f"{rng.randint(2, 60)} mm",
                f"{rng.uniform(0.2, 6):.1f} cm",
                f"{rng.randint(1, 99)}%",
                f"{rng.randint(100, 160)}/{rng.randint(60, 100)}",
                f"{rng.randint(1, 10)}/10",
                f"{rng.randint(1000, 90000)} IU",
                f"{rng.randint(7, 18)}:{rng.randint(10, 59)}",
                f"{rng.randint(1990, 2024)}",
                f"{rng.randint(10000, 99999)} cells",
            ]
        )
        for _ in range(rows)
    ]
    cols["k_flow"] = [
        f"{rng.randint(1000, 99999)} events/{rng.randint(10, 500)} uL" for _ in range(rows)
    ]
    cols["k_context"] = [
        rng.choice(
            [
                "Letrozole 2.5 mg",
                "Herceptin q3w",
                "Breast Clinic",
                "Radiology Dept",
                "Siemens Mammomat",
                "GE Senographe",
                "Hologic Selenia",
                "BRCA1 negative",
                "TP53 wild type",
                "Ward 7B",
                "Royal Infirmary",
                "Oncology MDT",
                "Nottingham Grade 2",
                "Van Nuys Index 6",
                "Mayo Clinic protocol",
                "Tumour Board",
                "St Mary's site",
                "North Wing",
                "Day Unit",
                "Consultant Radiologist",
                "Breast Care Nurse",
                "Paget disease",
                "Phyllodes tumour",
                "Luminal A",
                "Luminal B",
                "Triple Negative",
                "Allred 7/8",
                "Elston-Ellis Grade 3",
            ]
        )
        for _ in range(rows)
    ]
    cols["c_notes"] = [clean_note(rng) for _ in range(rows)]
    return cols


def main() -> int:
    rng = random.Random(SEED)
    rows: list[tuple[str, str, str, str]] = []
    for column, cells in pii_columns(rng).items():
        rows += [("pii", column, value, kinds) for value, kinds in cells]
    for column, values in clean_columns(rng).items():
        rows += [("clean", column, value, "") for value in values]
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["set", "column", "value", "kinds"])
        writer.writerows(rows)
    # REUSE: a CSV cannot carry a comment header, so its licence sits beside it
    OUT.with_name(OUT.name + ".license").write_text(
        "SPDX" "-FileCopyrightText: 2026 modelgate contributors\n"  # split: not this file's tags
        "SPDX" "-License-Identifier: Apache-2.0\n",
        encoding="utf-8",
    )
    pii = sum(1 for r in rows if r[0] == "pii")
    print(f"wrote {OUT.name}: {pii} pii cells, {len(rows) - pii} clean cells")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
