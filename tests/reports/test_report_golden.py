"""The report's numbers do not move when its code is rewritten for speed.

A fixed SYNTHETIC study (the bulk generator, seed 1, 1,500 patients, as of one fixed
day) was reported by the code before the report was made faster, and its output saved
in tests/reports/golden/: every table cell (the tables' CSV), the data version, the
methods text and the analysis data set (long and wide) with its dictionary. The report
must reproduce each of them byte for byte, on both engines.

Re-saved once on purpose since: when a sparse table larger than 2×2 went from the χ² p
to Fisher–Freeman–Halton's exact p (clinic.stats.exact), which moved one p-value of
Table 6 (0.030 → 0.025), a test mark and the methods sentence; and when the reason of
a table with one non-empty row or column became "a test needs …" (it said "χ² needs …");
and when the bulk generator gave its procedures the seed trial's injectates (drawn from
a stream of their own) and Table 2 listed them: rows added to Table 2 (their χ² and
Mann–Whitney p-values checked by a hand-written computation), the data version, the
wide data set and its dictionary with them. Nothing else changed.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.reports.builder import build_report
from clinic.reports.filters import filters_from_mapping

GOLDEN = Path(__file__).parent / "golden"
VERSIONS = "Analyses were generated"  # the software versions: left out, they move on upgrades
DAY = date(2026, 6, 1)
FILTERS = {
    "all": {"as_of": DAY.isoformat()},
    "north_since_january": {"as_of": DAY.isoformat(), "sites": ["NORTH"],
                            "date_from": "2026-01-01"},
}


def outputs(session: Session, filters: dict[str, object]) -> dict[str, str]:
    """What the golden files hold for one set of filters."""
    report = build_report(session, "BENCH", filters_from_mapping(filters, DAY),
                          timezone="Europe/Berlin")
    data = report.dataset

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    return {
        "tables.csv": report.tables_csv(),
        "summary.txt": "\n".join([
            f"data version {report.stamp.data_version}",
            f"patients {report.stamp.patients}",
            f"long.csv sha256 {digest(data.long.to_csv())}",
            f"wide.csv sha256 {digest(data.wide.to_csv())}",
            f"dictionary.csv sha256 {digest(data.dictionary().to_csv())}",
            f"panels sha256 {digest(repr(report.panels))}",
            *(m for m in report.methods if not m.startswith(VERSIONS)), *report.missing, ""]),
    }


@pytest.mark.slow
def test_the_report_reproduces_its_saved_numbers(app):
    with Session(get_engine(app)) as session:
        bulk_seed(session, 1500, seed=1, today=DAY)
        session.commit()
        for name, filters in FILTERS.items():
            for file, text in outputs(session, filters).items():
                saved = (GOLDEN / f"{name}_{file}").read_text()
                assert text == saved, f"{name}_{file} differs from the saved output"
