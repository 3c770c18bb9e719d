"""A patient's record on paper, pseudonymised (study code only): baseline, procedures,
the visits with their scores, adverse events, open data queries, and the record's locks
and signatures with their validity as of printing (21 CFR 11.50: a signature's printed
name, time and meaning go with the signed record)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clinic import catalog
from clinic.patients.overview import PatientRecord
from clinic.reports.render.fonts import markup
from clinic.scoring.instruments import INSTRUMENTS
from clinic.sheets.common import GRID, MARGIN, WIDTH, styles
from clinic.web.filters import score_shown


@dataclass(frozen=True)
class LockLine:
    level: str
    locked_at: datetime
    by: str
    what: str  # "" or the visit's timepoint


@dataclass(frozen=True)
class SignatureLine:
    meaning: str
    printed_name: str
    signed_at: datetime
    content_hash: str
    valid: bool


@dataclass(frozen=True)
class QueryLine:
    query_id: int
    status: str
    label: str
    text: str


def patient_record_pdf(record: PatientRecord, *, study: str, zone: str, printed_at: datetime,
                       locks: Sequence[LockLine], signatures: Sequence[SignatureLine],
                       queries: Sequence[QueryLine], synthetic: bool,
                       dose_reports: Mapping[int, Sequence[str]] | None = None) -> bytes:
    st = styles()
    tz = ZoneInfo(zone)

    def when(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    p = record.patient
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"Patient record {p.study_code}")
    story: list[Any] = [
        Paragraph(f"Patient record · {markup(p.study_code, bold=True)}", st["title"]),
        Paragraph(markup(study) + (" · SYNTHETIC data" if synthetic else ""), st["base"]),
        Paragraph(f"Printed {when(printed_at)}. Study code only: no identifying data.",
                  st["small"])]
    story += _section("Locks and signatures", st)
    story += [Paragraph(markup(line), st["base"]) for line in _lock_lines(locks, when)]
    story += [Paragraph(markup(line), st["base"]) for line in _signature_lines(signatures, when)]
    story += _section("Baseline", st)
    arm = f"{record.arm.label}" if record.arm else "—"
    story.append(_table([["Site", "Group", "Sex", "Age", "BMI", "Symptoms (months)"],
                         [record.site.code, arm, catalog.SEXES.get(p.sex, p.sex),
                          _n(p.age_at_enrollment), _n(p.bmi), _n(p.symptom_duration_months)]],
                        st, widths=(0.1, 0.34, 0.12, 0.1, 0.1, 0.24)))
    if p.diagnosis:
        story.append(Paragraph(markup(f"Diagnosis: {p.diagnosis}"), st["base"]))
    story += _section("Procedures", st)
    rows = [["Date", "Modality", "Procedure", "Targets", "Punctures", "Dose",
             "Time (min)"]]
    for row in record.procedures:
        pr = row.procedure
        rows.append([when(pr.performed_at)[:10], catalog.MODALITIES.get(pr.modality, ""),
                     catalog.PROCEDURE_TYPES.get(pr.procedure_type, ""),
                     "; ".join(f"{t.level} {t.side}" for t in row.targets),
                     str(pr.punctures), _dose(pr), _n(pr.operative_time_min)])
    story.append(_table(rows, st, widths=(0.13, 0.12, 0.16, 0.13, 0.12, 0.24, 0.1))
                 if len(rows) > 1 else Paragraph("None.", st["base"]))
    for row in record.procedures:
        pr, day = row.procedure, when(row.procedure.performed_at)[:10]
        if pr.deviation_reason:
            story.append(Paragraph(markup(f"Procedure of {day}: protocol deviation: "
                                          f"{pr.deviation_reason}"), st["base"]))
        for uid in (dose_reports or {}).get(pr.id, ()):  # type: ignore[call-overload]
            story.append(Paragraph(markup(f"Procedure of {day}: dose from the dose report "
                                          f"SOP Instance UID {uid}"), st["small"]))
    story += _section("Follow-up visits", st)
    rows = [["Visit", "Target", "Status", "Visit date", "Scores"]]
    for v in record.visits:
        a = v.assessment
        scores = "; ".join(f"{INSTRUMENTS[c].label} {score_shown(c, v.scores[c].value)}"
                           for c in record.measure_codes if c in v.scores)
        rows.append([v.timepoint.label, a.target_date.isoformat(),
                     v.status.replace("_", " ").capitalize(),  # as the patient page
                     a.visit_on.isoformat() if a.visit_on else "", scores])
    story.append(_table(rows, st, widths=(0.12, 0.14, 0.11, 0.14, 0.49)))
    story += _section("Adverse events", st)
    events = [[e.onset_on.isoformat(), catalog.ADVERSE_EVENT_TYPES.get(e.event_type, ""),
               catalog.SEVERITIES.get(e.severity, ""), "Yes" if e.is_related else "No",
               _resolution(e)] for e in record.adverse_events]
    story.append(_table([["Onset", "Event", "Severity", "Related", "Resolved"], *events], st,
                        widths=(0.13, 0.3, 0.14, 0.1, 0.33)) if events
                 else Paragraph("None recorded.", st["base"]))
    story += [Paragraph(markup(f"{catalog.ADVERSE_EVENT_TYPES.get(e.event_type, '')} of "
                               f"{e.onset_on.isoformat()}: {e.notes}"), st["base"])
              for e in record.adverse_events if e.notes]
    story += _section("Data queries not closed", st)
    story += [Paragraph(markup(f"#{q.query_id} ({catalog.QUERY_STATES[q.status].lower()}) "
                               f"{q.label}: {q.text}"), st["base"]) for q in queries] or [
        Paragraph("None.", st["base"])]
    doc.build(story)
    return buffer.getvalue()


def _resolution(event: Any) -> str:
    """As the patient page says it: the day it resolved, else whether it did."""
    if event.resolved_on is not None:
        return event.resolved_on.isoformat()
    return "Yes" if event.is_resolved else "No"


def _lock_lines(locks: Sequence[LockLine], when: Any) -> list[str]:
    if not locks:
        return ["Not locked."]
    return [f"Locked ({catalog.LOCK_LEVELS[lock.level]}{': ' + lock.what if lock.what else ''})"
            f" on {when(lock.locked_at)} by {lock.by}." for lock in locks]


def _signature_lines(signatures: Sequence[SignatureLine], when: Any) -> list[str]:
    if not signatures:
        return ["Not signed."]
    return [f"{'Valid' if s.valid else 'VOID (the signed data changed after signing)'}: "
            f"{catalog.SIGNATURE_MEANINGS[s.meaning]} by {s.printed_name}, "
            f"{when(s.signed_at)}, SHA-256 {s.content_hash}." for s in signatures]


def _section(title: str, st: dict[str, Any]) -> list[Any]:
    return [Spacer(1, 4), Paragraph(markup(title, bold=True), st["h2"])]


def _table(rows: list[list[str]], st: dict[str, Any],
           widths: Sequence[float] | None = None) -> Table:
    data = [[Paragraph(markup(str(c), bold=i == 0), st["cellb" if i == 0 else "cell"])
             for c in row]
            for i, row in enumerate(rows)]
    shares = widths or [1 / len(rows[0])] * len(rows[0])
    table = Table(data, repeatRows=1, colWidths=[WIDTH * share for share in shares])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _n(value: float | int | None) -> str:
    return "—" if value is None else f"{value:g}"


def _dose(pr: Any) -> str:
    parts = [f"{name} {getattr(pr, column):g} {unit}" for column, name, unit in (
        ("dap_mgy_cm2", "DAP", "mGy·cm²"), ("fluoroscopy_time_s", "fluoroscopy", "s"),
        ("ctdivol_mgy", "CTDIvol", "mGy"), ("dlp_mgy_cm", "DLP", "mGy·cm"))
        if getattr(pr, column) is not None]
    return "; ".join(parts)
