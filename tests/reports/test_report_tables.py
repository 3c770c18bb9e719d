"""The report's tables: three arms, an outcome nobody recorded, filters, reproducibility."""

from __future__ import annotations

from datetime import UTC, date

import numpy as np
import pandas as pd
import pytest

from clinic.exceptions import ValidationError
from clinic.models import StudyArm
from clinic.procedures.inputs import InjectateInput
from clinic.reports import ReportFilters
from clinic.reports.cells import summary_text
from clinic.reports.figure import figure_svg
from clinic.reports.radiation import DAP_K, DLP_K, effective_dose
from clinic.reports.render import render
from clinic.stats import compare_groups
from tests.factories import make_patient, make_procedure, make_site, make_study
from tests.reports.helpers import AS_OF, GAP_STUDY, THREE_ARMS, populate, report_of


def _row(report, key, label, level=None):
    table = report.table(key)
    return next(r for r in table.rows if r.label == label and (level is None or r.level == level))


def test_three_arm_study_uses_kruskal_wallis_with_dunn_post_hoc(session):
    populate(session, THREE_ARMS, 18)
    report = report_of(session, "TRI")
    t3 = report.table("table3")
    assert [c.label for c in t3.columns][:3] == ["Group A: fluoroscopy-guided",
                                                  "Group B: CT-guided",
                                                  "Group C: ultrasound-guided"]
    baseline = next(r for r in t3.rows if r.label == "Baseline")
    p = baseline.cells[-1]
    assert p.mark and any(f.startswith(f"{p.mark} Kruskal–Wallis") for f in t3.footnotes)
    assert not any("Mann–Whitney" in f for f in t3.footnotes)
    appendix = report.table("appendix")
    assert any("Dunn, after Kruskal–Wallis" in r.label for r in appendix.rows)
    assert any(r.label.startswith("Baseline: Group A – Group C") for r in appendix.rows)
    assert any("Arms: Dunn's test with tie-corrected SE." in f for f in appendix.footnotes)
    t4 = report.table("table4")
    dap = _row(report, "table4", "Dose–area product, DAP (mGy·cm²)")
    assert [c.text for c in dap.cells][1:] == ["—", "—", "—"]  # CT, US, and no p
    assert any("ultrasound" in n.lower() and "no ionising" in n for n in t4.notes)
    assert any(r.label == "Effective dose, estimate (mSv)" for r in t4.rows)
    for fmt in ("pdf", "html", "xlsx", "sav", "csv"):
        assert all(content for _, content in render(report, fmt))


def test_outcome_nobody_recorded_at_a_timepoint_gives_an_explained_empty_row(session):
    populate(session, GAP_STUDY, 10, skip=frozenset({("odi", "month_3")}))
    report = report_of(session, "GAP")
    t3 = report.table("table3")
    heading = next(i for i, r in enumerate(t3.rows) if r.label.startswith("Oswestry"))
    gap = next(r for r in t3.rows[heading:] if r.label == "3 months")
    assert [c.text for c in gap.cells] == ["—", "—", "—"]
    assert all(c.n in (0, None) for c in gap.cells)
    assert any("3 months: nobody in the report recorded it" in n for n in t3.notes)
    assert any("Friedman over the 3 timepoint(s) with values" in n for n in t3.notes)
    friedman_n = next(r for r in t3.rows[heading:] if r.label.startswith("n complete"))
    assert all(c.text.endswith("/ 3") for c in friedman_n.cells[:-1])
    panel = next(p for p in report.panels if p.title.startswith("Oswestry"))
    assert all(s.points[2] is None for s in panel.series)
    appendix = report.table("appendix")  # two arms: no Dunn between arms, nor its note
    assert not any("Kruskal" in r.label for r in appendix.rows)
    assert not any("Arms: Dunn" in f for f in appendix.footnotes)  # (found by a new user)
    assert "<svg" in figure_svg(list(report.panels))
    for fmt in ("pdf", "html", "xlsx"):
        assert render(report, fmt)[0][1]


def test_every_cell_carries_its_n_and_p_values_name_their_test(session):
    populate(session, GAP_STUDY, 10)
    report = report_of(session, "GAP")
    for table in report.tables:
        symbols = {f.split(" ", 1)[0] for f in table.footnotes}
        for row in table.rows:
            for cell in row.cells:
                assert not cell.mark or cell.mark in symbols, (table.key, row.label)
    age = _row(report, "table1", "Mean ± SD")
    assert [c.n for c in age.cells[:-1]] == [report.stamp.patients - age.cells[1].n,
                                              age.cells[1].n]


def test_filters_select_patients_and_the_flow_shows_who_was_left_out(session):
    populate(session, GAP_STUDY, 12)
    everyone = report_of(session, "GAP")
    north = report_of(session, "GAP", sites=("NORTH",))
    assert north.stamp.patients == 6 and everyone.stamp.patients == 12
    left_out = _row(north, "flow", "Left out by the report filters")
    assert left_out.cells[-1].text == "6"
    assert north.stamp.data_version != everyone.stamp.data_version
    arm_a = report_of(session, "GAP", arms=("A",))
    assert [c.label for c in arm_a.table("table3").columns] == ["Group A: fluoroscopy-guided",
                                                                "p-value"]
    none = report_of(session, "GAP", date_from=date(2027, 1, 1))
    assert none.stamp.patients == 0
    assert all(render(none, fmt) for fmt in ("pdf", "html", "xlsx", "csv"))
    assert report_of(session, "GAP", levels=("C2-C3",)).stamp.patients == 0


def test_same_filters_on_the_same_data_give_byte_identical_tables_and_csv(session):
    populate(session, GAP_STUDY, 8)
    first, second = report_of(session, "GAP"), report_of(session, "GAP")
    assert first.tables == second.tables
    assert first.tables_csv() == second.tables_csv()
    assert render(first, "csv") == render(second, "csv")
    assert first.stamp.data_version == second.stamp.data_version


def test_filters_refuse_unknown_codes_and_reversed_dates():
    with pytest.raises(ValidationError):
        ReportFilters(as_of=AS_OF, levels=("L9-L10",))
    with pytest.raises(ValidationError):
        ReportFilters(as_of=AS_OF, date_from=date(2026, 2, 1), date_to=date(2026, 1, 1))


def test_effective_dose_uses_the_cited_coefficients_in_their_units():
    proc = pd.DataFrame({"subject": ["a", "b", "c"], "modality": ["fluoroscopy", "ct", "ct"],
                         "dap_mgy_cm2": [1000.0, None, None], "dlp_mgy_cm": [None, 400.0, 400.0]})
    targets = pd.DataFrame({"subject": ["a", "b", "c"], "level": ["L4-L5", "L5-S1", "C5-C6"]})
    e = effective_dose(proc, targets)
    assert e[0] == pytest.approx(1.0 * DAP_K)  # 1000 mGy·cm² = 1 Gy·cm²
    assert e[1] == pytest.approx(400 * DLP_K)
    assert pd.isna(e[2])  # cervical: the lumbar coefficient does not apply


def test_a_facet_study_is_not_described_in_the_seed_trials_words(session):
    """Found trying a custom (facet) study as a new user would: its report spoke of roots
    injected, sacroiliac joints, NSAIDs and satisfaction with the results."""
    import dataclasses

    from clinic.demo.protocol import DEMO_STUDY
    from tests.factories import make_patient, make_procedure, make_site, make_study

    facet = dataclasses.replace(DEMO_STUDY, code="FACET", measures=tuple(
        m for m in DEMO_STUDY.measures
        if m.instrument not in ("satisfaction_results", "nsaid_reduction")))
    study = make_study(session, facet)
    site = make_site(session)
    for _ in range(4):
        patient, _e = make_patient(session, study, site=site, root_laterality={})
        make_procedure(session, patient, procedure_type="facet_mbb")
    session.commit()
    report = report_of(session, "FACET")
    table2 = report.table("table2")
    assert "Punctures" in [r.label for r in table2.rows]
    assert "Roots injected (punctures)" not in [r.label for r in table2.rows]
    assert not [n for n in table2.notes if "sacroiliac" in n]
    assert not [n for n in report.table("table1").notes if "Root laterality" in n]
    assert report.table("table6").title == "Table 6. Satisfaction with the procedure"
    assert "NSAID" not in " ".join(report.table("table5").footnotes)


def test_a_neck_study_says_nothing_of_the_sacroiliac_joint():
    """Found testing as a new user would: a cervical study's Table 2 said "No procedure
    included a sacroiliac joint injection" and its data set had a si_side column."""
    from types import SimpleNamespace

    import pandas as pd

    from clinic.reports.baseline import lower_back

    def data(roots: tuple[str, ...], levels: list[str]) -> SimpleNamespace:
        return SimpleNamespace(study=SimpleNamespace(roots=roots),
                               targets=pd.DataFrame({"level": levels}))

    assert not lower_back(data(("C5", "C6", "C7"), ["C5-C6", "C6-C7"]))
    assert not lower_back(data((), []))
    assert lower_back(data(("L3", "L4", "L5"), []))
    assert lower_back(data(("C6",), ["SIJ"]))
    assert lower_back(data((), ["L5-S1"]))


def test_a_value_whose_visit_is_still_open_is_counted_as_pending_not_missing():
    """Found trying the reports as a new user would: 'Not recorded 23' at 1 month counted
    18 visits not yet due with 4 missed and 1 not done, as if all had lost their value."""
    from clinic.reports.cells import Arms, categorical_rows
    from clinic.reports.tables import Column, TableBuilder

    arms = Arms(("A", "B"), {"A": "Group A", "B": "Group B"}, {}, {"A": 4, "B": 3})
    series = pd.DataFrame({"arm": ["A", "A", "A", "A", "B", "B", "B"],
                           "value": [1.0, None, None, 2.0, None, 1.0, 1.0],
                           "pending": [False, True, False, False, True, False, False]})
    b = TableBuilder("t", "T", "Variable", (Column("Group A"), Column("Group B"),
                                             Column("p")))
    categorical_rows(b, "Satisfaction", series, arms, [(1.0, "One"), (2.0, "Two")])
    rows = {r.label: [c.text for c in r.cells[:2]] for r in b.rows}
    assert rows["Visit pending"] == ["1", "1"] and rows["Not recorded"] == ["1", "0"]
    assert rows["One"] == ["1 (50.0%)", "2 (100.0%)"]  # of the patients with a value
    assert any("'Visit pending' (window not yet closed)" in note for note in b.notes)


def test_a_missing_dose_says_how_many_visits_are_still_pending():
    import numpy as np

    from clinic.reports.cells import Arms, continuous_rows
    from clinic.reports.tables import Column, TableBuilder

    arms = Arms(("A", "B"), {"A": "Group A: x", "B": "Group B: y"}, {}, {"A": 5, "B": 3})
    b = TableBuilder("t", "T", "Variable", (Column("Group A"), Column("Group B"),
                                             Column("p")))
    continuous_rows(b, "NSAID reduction", {"A": np.array([1.0, 2.0]),
                                           "B": np.array([1.0, 2.0, 3.0])}, arms,
                    pending={"A": 2, "B": 0})
    assert ("NSAID reduction: value missing for Group A 3 (2 with the visit still pending) "
            "patient(s)") in " ".join(b.notes)


def _rows_under(report, key, heading):
    rows = report.table(key).rows
    start = next(i for i, r in enumerate(rows) if r.label == heading and r.level == 0)
    end = next((i for i in range(start + 1, len(rows)) if rows[i].level == 0), len(rows))
    return {r.label: [c.text for c in r.cells] for r in rows[start + 1:end]}


def test_a_withdrawn_patients_visits_not_assessed_count_as_withdrawn_in_the_flow(session):
    """The flow's rows of each timepoint: a withdrawn patient's visit recorded before the
    withdrawal stays assessed; one never recorded counts as withdrawn, not missed."""
    from sqlmodel import select

    from clinic.models import Enrollment

    never = frozenset((m.instrument, "month_6") for m in GAP_STUDY.measures)
    populate(session, GAP_STUDY, 4, skip=never)
    enrollment = session.exec(select(Enrollment).order_by(Enrollment.id)).first()
    enrollment.status, enrollment.withdrawal_reason = "withdrawn", "moved away"
    session.add(enrollment)
    session.commit()
    report = report_of(session, "GAP")
    month_1 = _rows_under(report, "flow", "Follow-up: 1 month")
    month_6 = _rows_under(report, "flow", "Follow-up: 6 months")
    assert month_1["Assessed"][-1] == "4" and "Withdrawn before this visit" not in month_1
    assert month_6["Assessed"][-1] == "0"
    assert month_6["Withdrawn before this visit"][-1] == "1"
    assert month_6["Missed (window closed, nothing recorded)"][-1] == "3"


def test_the_pdf_is_dated_when_its_report_was_generated(session):
    """Found trying the report as a new user would: the PDF's creation date read
    2000-01-01 (reportlab's invariant mode), which a document system files under."""
    populate(session, GAP_STUDY, 4)
    report = report_of(session, "GAP")
    made = report.stamp.generated_at.astimezone(UTC)
    [(_name, pdf)] = render(report, "pdf")
    assert f"/CreationDate (D:{made:%Y%m%d%H%M%S}+00'00')".encode() in pdf
    assert b"D:20000101" not in pdf


def test_table_2_lists_each_drug_given_and_each_patients_total_dose(session):
    """Found reviewing the report as a physician would: Table 2 named the levels treated
    but not what was injected there. Each drug is a row (patients given it, n (%)); under
    it the patient's total mg, added up over the levels, among those with every dose of it
    recorded."""
    study = make_study(session, GAP_STUDY)
    site = make_site(session, "NORTH")
    dex = {"A": [(8.0, 8.0), (8.0, 8.0), (8.0, None), (4.0,)],  # two levels: 16 mg
           "B": [(8.0,), (8.0,), (12.0,), (8.0,)]}
    given: dict[str, list[tuple[float | None, ...]]] = {"A": [], "B": []}
    size = {"A": 0, "B": 0}
    in_all: dict[str, float] = {}  # the data set's dexamethasone_mg, by subject
    for _ in range(8):
        patient, enrollment = make_patient(session, study, site=site)
        arm = session.get(StudyArm, enrollment.arm_id).code
        size[arm] += 1
        if not dex[arm]:  # (an arm allocated more than 4)
            make_procedure(session, patient, injectates=(InjectateInput("lidocaine", 1.0, 1.5),))
            in_all[patient.study_code] = 0.0
            continue
        doses = dex[arm].pop(0)
        given[arm].append(doses)
        in_all[patient.study_code] = np.nan if None in doses else sum(doses)
        injectates = [InjectateInput("lidocaine", 1.0, 1.5),  # no dose typed: 15 mg
                      *(InjectateInput("dexamethasone", dose_mg=d) for d in doses)]
        if arm == "B" and len(given["B"]) == 1:
            injectates.append(InjectateInput("methylprednisolone_acetate", dose_mg=40.0))
        make_procedure(session, patient, injectates=tuple(injectates))
    session.commit()

    report = report_of(session, "GAP")
    rows = _rows_under(report, "table2", "Injectates")
    assert rows["Dexamethasone"][:2] == [f"{len(given[c])} ({len(given[c]) / size[c]:.1%})"
                                         for c in ("A", "B")]
    totals = {c: np.array([sum(d) for d in given[c] if None not in d]) for c in ("A", "B")}
    comp = compare_groups(totals)
    assert comp.descriptives["A"].n == len(given["A"]) - 1  # a dose not recorded: left out
    assert rows["Dexamethasone, dose per patient (mg)"][:2] == [
        summary_text(comp.descriptives[c]) for c in ("A", "B")]
    mpa = rows["Methylprednisolone acetate"]
    assert mpa[0].startswith("0 (") and mpa[1].startswith("1 (")
    assert rows["Methylprednisolone acetate, dose per patient (mg)"][1].startswith("40")
    t2 = report.table("table2")
    assert any(n.startswith("Injectates: a patient given a drug at several levels")
               for n in t2.notes)
    assert any(r.label == "Dexamethasone, dose per patient (mg)" and r.level == 2
               for r in t2.rows)
    wide = report.dataset.wide.set_index("subject")  # the analysis data set: per patient
    assert wide["dexamethasone_mg"].to_dict() == pytest.approx(in_all, nan_ok=True)
    assert "dexamethasone_mg" in {v.name for v in report.dataset.variables}
    assert "bupivacaine_mg" not in wide  # given to nobody
    assert rows["Lidocaine"][:2] == [f"{size[c]} (100.0%)" for c in ("A", "B")]
    assert rows["Lidocaine, dose per patient (mg)"][:2] == ["15.0 (15.0–15.0)"] * 2
