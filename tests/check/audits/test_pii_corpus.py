# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The pii audit's recognizers against a labelled corpus (``pii_corpus/cells.csv``).

The corpus is judged column by column through :func:`pii.recognize_column`, the entry
point the audit itself uses, so column evidence (a column of bare SSNs, of NHS numbers,
of names) counts as it does in the audit. A cell is a true positive for a kind when it is
labelled with it and the kind is found in it; a clean cell with any finding is a false
positive.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from modelgate.bot.check.audits import pii

CORPUS = Path(__file__).with_name("pii_corpus") / "cells.csv"
MIN_RECALL = 0.95
MAX_CLEAN_FP = 0.01
MIN_PII_CELLS, MIN_KINDS, MIN_CLEAN_CELLS = 300, 12, 3000


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


@dataclass
class Scores:
    kinds: dict[str, Tally]
    clean_cells: int
    clean_flagged: list[tuple[str, str, list[str]]]

    @property
    def clean_fp_rate(self) -> float:
        return len(self.clean_flagged) / self.clean_cells

    def table(self) -> str:
        lines = ["| kind | cells | recall | precision |", "| --- | --- | --- | --- |"]
        for kind, t in sorted(self.kinds.items()):
            lines.append(f"| {kind} | {t.tp + t.fn} | {t.recall:.3f} | {t.precision:.3f} |")
        lines.append(
            f"clean cells flagged: {len(self.clean_flagged)}/{self.clean_cells} "
            f"({self.clean_fp_rate:.2%})"
        )
        return "\n".join(lines)


def corpus() -> pd.DataFrame:
    return pd.read_csv(CORPUS, dtype=str, keep_default_na=False)


def score(frame: pd.DataFrame) -> Scores:
    """Per-kind recall and precision, and the false-positive rate on clean cells."""
    kinds: dict[str, Tally] = defaultdict(Tally)
    flagged: list[tuple[str, str, list[str]]] = []
    for column, cells in frame.groupby("column", sort=False):
        found = pii.recognize_column(cells["value"], column=str(column))
        for value, labels in zip(cells["value"], cells["kinds"], strict=True):
            expected = {k for k in labels.split("|") if k}
            got = {m.entity for m in found[value]}
            if not expected and got:
                flagged.append((str(column), value, sorted(got)))
            for kind in expected:
                tally = kinds[kind]
                if kind in got:
                    tally.tp += 1
                else:
                    tally.fn += 1
                    tally.missed.append(value)
            for kind in got - expected:
                kinds[kind].fp += 1
    clean = int((frame["set"] == "clean").sum())
    return Scores(dict(kinds), clean, flagged)


@pytest.fixture(scope="module")
def scores() -> Scores:
    return score(corpus())


def test_the_corpus_is_large_and_varied() -> None:
    """It holds at least 300 PII cells of 12 kinds and 3,000 clean cells."""
    frame = corpus()
    labelled = frame[frame["set"] == "pii"]
    kinds = {k for labels in labelled["kinds"] for k in labels.split("|")}
    assert len(labelled) >= MIN_PII_CELLS
    assert len(kinds) >= MIN_KINDS
    assert int((frame["set"] == "clean").sum()) >= MIN_CLEAN_CELLS
    assert set(kinds) <= set(pii.RECOGNIZERS)


def test_every_kind_is_recalled(scores: Scores) -> None:
    """It finds at least 95% of the cells of every PII kind."""
    print(scores.table())
    weak = {
        k: (round(t.recall, 3), t.missed[:5])
        for k, t in scores.kinds.items()
        if t.recall < MIN_RECALL
    }
    assert not weak, weak


def test_clean_cells_are_rarely_flagged(scores: Scores) -> None:
    """It flags at most 1% of clean cells (lab values, counts, specimen ids, codes, notes)."""
    assert scores.clean_fp_rate <= MAX_CLEAN_FP, scores.clean_flagged[:20]
