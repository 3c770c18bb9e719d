"""Effect sizes of a study, by API and in the XLSX report: the numbers equal a direct
computation from the recorded values (numpy on what the database holds), the responder
counts equal a count by hand, and the sheet lists every row."""

from __future__ import annotations

import io
import math
from datetime import date

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from tests.api.conftest import bearer  # noqa: F401  (fixture)

DAY = date(2026, 6, 1)


@pytest.fixture
def bench(app, clinic):
    with Session(get_engine(app)) as session:
        bulk_seed(session, 80, seed=3, today=DAY)
        session.commit()
    return clinic


def _values(app, instrument: str, timepoint: str) -> dict[str, dict[str, float]]:
    """arm -> subject -> value, straight from the tables."""
    sql = text("SELECT sa.code, p.study_code, s.value FROM score s "
               "JOIN assessment a ON a.id = s.assessment_id "
               "JOIN study_timepoint t ON t.id = a.timepoint_id "
               "JOIN patient p ON p.id = a.patient_id JOIN study st ON st.id = p.study_id "
               "JOIN enrollment e ON e.patient_id = p.id JOIN study_arm sa ON sa.id = e.arm_id "
               "WHERE st.code = 'BENCH' AND s.instrument = :i AND t.code = :t "
               "AND s.value IS NOT NULL")
    found: dict[str, dict[str, float]] = {}
    with get_engine(app).connect() as connection:
        for arm, subject, value in connection.execute(sql, {"i": instrument, "t": timepoint}):
            found.setdefault(arm, {})[subject] = float(value)
    return found


def _row(rows, outcome: str, timepoint: str, measure: str):
    return next(r for r in rows if r["outcome"] == outcome and r["timepoint"] == timepoint
                and r["measure"] == measure)


def test_the_api_equals_a_direct_computation(app, client, bench, bearer):  # noqa: F811
    response = client.get("/api/v1/studies/BENCH/effect-sizes", headers=bearer("physician"))
    assert response.status_code == 200, response.json
    rows = response.json
    values = _values(app, "vas", "week_1")
    a, b = (np.array(list(values[arm].values())) for arm in ("A", "B"))
    md = _row(rows, "Pain (VAS)", "1 week", "MD")
    assert (md["n1"], md["n2"], md["comparison"]) == (a.size, b.size, "A vs B")
    assert md["arm_1"].startswith("Group A") and md["arm_2"].startswith("Group B")
    assert md["estimate"] == pytest.approx(a.mean() - b.mean(), abs=1e-9)
    assert md["vi"] == pytest.approx(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    sp = math.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1))
                   / (a.size + b.size - 2))
    g = _row(rows, "Pain (VAS)", "1 week", "SMD")
    assert g["estimate"] == pytest.approx((a.mean() - b.mean()) / sp, rel=0.02)  # J ≈ 1
    assert abs(g["estimate"]) < abs((a.mean() - b.mean()) / sp)
    before = _values(app, "vas", "baseline")
    counts = {}
    for arm in ("A", "B"):
        pairs = [(before[arm][s], v) for s, v in values[arm].items()
                 if s in before[arm] and before[arm][s] > 0]
        counts[arm] = (sum((b0 - v) / b0 >= 0.5 for b0, v in pairs), len(pairs))
    rr = _row(rows, "Pain (VAS): responders (≥ 50% reduction from baseline)", "1 week", "RR")
    assert (rr["group_1"], rr["group_2"]) == (f"{counts['A'][0]}/{counts['A'][1]}",
                                              f"{counts['B'][0]}/{counts['B'][1]}")
    assert all(not r["estimated"] and r["ci_low"] <= r["estimate"] <= r["ci_high"]
               for r in rows)
    assert {r["measure"] for r in rows} == {"MD", "SMD", "RR", "OR"}


def test_nurses_and_monitors_do_not_get_them_and_unknown_studies_are_404(client, bench,
                                                                        bearer):  # noqa: F811
    assert client.get("/api/v1/studies/BENCH/effect-sizes",
                      headers=bearer("nurse")).status_code == 403
    assert client.get("/api/v1/studies/NOPE/effect-sizes",
                      headers=bearer("coordinator")).status_code == 404


def test_the_xlsx_report_has_the_sheet(app, bench):
    from clinic.reports.builder import build_report
    from clinic.reports.filters import filters_from_mapping
    from clinic.reports.render.xlsx import xlsx_bytes

    with Session(get_engine(app)) as session:
        report = build_report(session, "BENCH", filters_from_mapping({}, DAY),
                              timezone="Europe/Berlin")
    sheet = load_workbook(io.BytesIO(xlsx_bytes(report)))["Effect sizes"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [c.value for c in sheet[2]][:6] == ["outcome", "timepoint", "comparison", "arm_1",
                                               "arm_2", "measure"]
    assert len(rows) == len(report.effects) > 10
    assert rows[0][5] in ("MD", "SMD") and rows[0][3].startswith("Group A")
    assert "a negative MD or g favours arm 1" in sheet["A1"].value


def test_tables_without_events_in_either_arm_are_left_out():
    from clinic.reports.effects import _binary

    assert _binary("x", "t", "A", "B", [(0, 5), (0, 6)]) == []
    assert _binary("x", "t", "A", "B", [(5, 5), (6, 6)]) == []
    assert [r.measure for r in _binary("x", "t", "A", "B", [(0, 5), (2, 6)])] == ["RR", "OR"]
