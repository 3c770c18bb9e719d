"""Record history lines: child rows named from their snapshots, also once deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from clinic.models import AuditEvent
from clinic.patients.history import corrections, history_lines

WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _event(entity: str, entity_id: int, action: str, *, field: str | None = None,
           old: object = None, new: object = None, parent: tuple[str, int] | None = None,
           reason: str | None = None) -> AuditEvent:
    def text(value: object) -> str | None:
        return json.dumps(value) if isinstance(value, dict) else (
            None if value is None else str(value))
    return AuditEvent(occurred_at=WHEN, entity=entity, entity_id=entity_id, action=action,
                      field=field, old_value=text(old), new_value=text(new), reason=reason,
                      parent_entity=parent[0] if parent else None,
                      parent_id=parent[1] if parent else None)


def test_a_score_section_change_names_the_section_of_its_instrument():
    events = [
        _event("score", 7, "create", new={"value": 30.0}),
        _event("score_section", 41, "create", new={"score_id": 7, "section": 3, "value": 2},
               parent=("score", 7)),
        _event("score_section", 41, "update", field="value", old=2, new=3,
               parent=("score", 7), reason="Misread the sheet"),
    ]
    lines = history_lines(events, instrument="odi")
    assert [line.subject for line in lines] == ["", "section 3 (Lifting)", "section 3 (Lifting)"]
    assert (lines[2].field, lines[2].old_value, lines[2].new_value) == ("value", "2", "3")
    assert lines[2].reason == "Misread the sheet" and lines[2].is_child
    assert not lines[0].is_child
    assert (lines[1].items, lines[2].items) == (("section 3 (Lifting) = 2",), ())
    assert history_lines(events, instrument="ndi")[1].subject == "section 3 (Lifting)"
    assert history_lines(events[1:2], instrument="vas")[0].subject == "section 3"


def test_rows_added_together_by_one_person_for_one_reason_read_as_one_line():
    def section(entity_id: int, number: int, value: int, reason: str = "entry") -> AuditEvent:
        return _event("score_section", entity_id, "create", reason=reason,
                      new={"score_id": 7, "section": number, "value": value},
                      parent=("score", 7))
    lines = history_lines([_event("score", 7, "create", new={}, reason="entry"),
                           section(1, 1, 3), section(2, 2, 0), section(3, 3, 1),
                           section(4, 4, 2, reason="late answer")], instrument="odi")
    assert [line.items for line in lines] == [
        (), ("section 1 (Pain intensity) = 3", "section 2 (Personal care) = 0",
             "section 3 (Lifting) = 1"), ("section 4 (Walking) = 2",)]


def test_removed_targets_and_injectates_are_named_from_the_delete_snapshot():
    target = {"procedure_id": 5, "level": "L5-S1", "side": "left"}
    injectate = {"procedure_id": 5, "drug": "dexamethasone", "concentration_pct": None,
                 "volume_ml": 2.0, "dose_mg": 8}
    lines = history_lines([
        _event("procedure_target", 3, "delete", old=target, parent=("procedure", 5)),
        _event("injectate", 9, "delete", old=injectate, parent=("procedure", 5)),
    ])
    assert [line.items for line in lines] == [("target L5–S1 left",),
                                              ("injectate Dexamethasone 2 mL 8 mg",)]


def test_medication_and_root_lines_and_an_unnamed_child():
    lines = history_lines([
        _event("medication", 2, "create", new={"drug": "tramadol", "daily_dose_mg": 100.0},
               parent=("assessment", 4)),
        _event("root_laterality", 8, "update", field="laterality", old="none",
               new="unilateral", parent=("patient", 1)),
    ])
    assert lines[0].items == ("medication tramadol 100 mg/day",)
    # no create or delete snapshot among the events: named by table and id
    assert lines[1].subject == "root laterality #8"


def test_only_changes_made_for_a_reason_of_their_own_count_as_corrections():
    recorded = [_event("assessment", 3, "create", new={}, reason=None),
                _event("assessment", 3, "update", field="state", old="pending", new="completed")]
    assert corrections(history_lines(recorded)) == 0
    corrected = recorded + [_event("assessment", 3, "update", field="mode", old="phone",
                                   new="in_clinic", reason="Seen in clinic, not by phone")]
    assert corrections(history_lines(corrected)) == 1
    seeded = [_event("score", 7, "create", new={}, reason="Synthetic demo data"),
              _event("score", 7, "update", field="value", old=1, new=2,
                     reason="Synthetic demo data")]
    assert corrections(history_lines(seeded)) == 0


def test_a_created_or_removed_roots_laterality_reads_as_on_the_patient_page():
    """Found testing as a new user would: 'added: root L3 = bilateral' beside
    'Bilateral → Unilateral' on the same page."""
    lines = history_lines([
        _event("root_laterality", 9, "create", new={"root": "L3", "laterality": "bilateral"},
               parent=("patient", 1)),
        _event("root_laterality", 9, "delete", old={"root": "L3", "laterality": "none"},
               parent=("patient", 1)),
    ])
    assert [line.items for line in lines] == [("root L3 = Bilateral",), ("root L3 = No",)]


def test_targets_a_correction_replaced_read_as_one_change():
    """A corrected level read as "removed: target L4–L5" and, apart, "added: target L5–S1"
    (found trying the screens as a new user would); a removal and an addition for two
    different reasons stay two lines."""
    target = ("procedure", 3)
    events = [
        _event("procedure", 3, "create", new={"modality": "ct"}, reason=None),
        _event("procedure_target", 10, "create", new={"level": "L4-L5", "side": "left"},
               parent=target),
        _event("procedure_target", 10, "delete", old={"level": "L4-L5", "side": "left"},
               parent=target, reason="Level misread"),
        _event("procedure_target", 11, "create", new={"level": "L5-S1", "side": "left"},
               parent=target, reason="Level misread"),
        _event("procedure_target", 11, "delete", old={"level": "L5-S1", "side": "left"},
               parent=target, reason="Wrong patient"),
        _event("procedure_target", 12, "create", new={"level": "L3-L4", "side": "right"},
               parent=target, reason="Added later"),
    ]
    lines = history_lines(events)
    assert [line.action for line in lines] == ["create", "create", "replace", "delete",
                                               "create"]
    replaced = lines[2]
    assert replaced.removed == ("target L4–L5 left",) and replaced.items == ("target L5–S1 left",)
    assert replaced.reason == "Level misread"
    assert corrections(lines) == 3  # the replacement, the removal and the addition, each
    # with its reason (a row added later for a reason is a correction too)


def test_an_id_given_again_to_another_row_names_each_row_by_its_own_snapshot():
    """Found trying the audit as a new user would: SQLite gives a deleted row's id to the
    next row added, and the history named the second medication by the first's drug."""
    lines = history_lines([
        _event("medication", 7, "create", new={"drug": "tramadol", "daily_dose_mg": 100.0},
               parent=("assessment", 4)),
        _event("medication", 7, "delete", old={"drug": "tramadol", "daily_dose_mg": 100.0},
               parent=("assessment", 4)),
        _event("medication", 7, "create", new={"drug": "pregabalin", "daily_dose_mg": 150.0},
               parent=("assessment", 4)),
        _event("medication", 7, "update", field="daily_dose_mg", old="150.0", new="300.0",
               parent=("assessment", 4)),
    ])
    subjects = [line.subject for line in lines]
    assert subjects == ["medication tramadol", "medication tramadol", "medication pregabalin",
                        "medication pregabalin"]


def test_a_row_added_by_a_correction_counts_as_a_correction():
    """Found trying the history as a new user would: 'a medication removed, another
    added' for one reason counted 2 changes of 3 (the added row left out)."""
    lines = history_lines([
        _event("assessment", 3, "create", new={}),
        _event("medication", 2, "create", new={"drug": "morphine", "daily_dose_mg": 5.0},
               parent=("assessment", 3)),
        _event("medication", 2, "delete", old={"drug": "morphine", "daily_dose_mg": 5.0},
               parent=("assessment", 3), reason="Stopped"),
        _event("medication", 4, "create", new={"drug": "naproxen", "daily_dose_mg": 500.0},
               parent=("assessment", 3), reason="Taken instead"),
    ])
    assert corrections(lines) == 2


def test_a_renamed_drug_is_named_as_it_was_when_removed():
    """Found trying the history as a new user would: 'pregabalin' corrected to
    'Pregabalin', then removed, read 'removed: medication pregabalin 150 mg/day'."""
    lines = history_lines([
        _event("medication", 2, "create", new={"drug": "pregabalin", "daily_dose_mg": 150.0},
               parent=("assessment", 3)),
        _event("medication", 2, "update", field="drug", old="pregabalin", new="Pregabalin",
               parent=("assessment", 3), reason="Name as on the box"),
        _event("medication", 2, "update", field="daily_dose_mg", old="150.0", new="300.0",
               parent=("assessment", 3), reason="Dose"),
        _event("medication", 2, "delete", old={"drug": "Pregabalin", "daily_dose_mg": 300.0},
               parent=("assessment", 3), reason="Stopped"),
    ])
    assert [line.subject for line in lines] == [
        "medication pregabalin", "medication pregabalin", "medication Pregabalin",
        "medication Pregabalin"]
    assert lines[-1].items == ("medication Pregabalin 300 mg/day",)
