"""clinic.models.inserts: many rows in one INSERT, each row given its own id, on both
engines; on SQLite the ids are matched to the rows by their key values, not by the
order RETURNING happens to give."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from clinic.db import get_engine
from clinic.models import ScoreSection
from clinic.models.inserts import insert_with_ids
from tests.scale.conftest import recorded

INSTRUMENTS = ["vas", "odi", "ndi", "ome", "satisfaction_results"]


def _score_rows(assessment_id: int) -> list[dict]:
    now = datetime.now(UTC)
    return [{"assessment_id": assessment_id, "instrument": name, "value": float(i),
             "raw_sum": None, "answered": None, "not_computable_reason": None,
             "mode": "phone", "collected_by_id": None, "collected_at": now}
            for i, name in enumerate(INSTRUMENTS)]


def _stored(session, table: str, columns: str) -> dict[int, tuple]:
    rows = session.connection().execute(text(f"SELECT id, {columns} FROM {table}"))
    return {row[0]: tuple(row[1:]) for row in rows}


def test_each_row_gets_the_id_of_the_row_stored_with_its_values(app, session, clinic):
    from clinic.models import Score

    scores = _score_rows(clinic.due.id)
    with recorded(app) as rec:
        insert_with_ids(session.connection(), Score.__table__, scores, ("instrument",))
        sections = [{"score_id": score["id"], "section": n, "value": n % 6}
                    for score in reversed(scores) for n in range(10, 0, -1)]
        insert_with_ids(session.connection(), ScoreSection.__table__, sections,
                        ("score_id", "section"))
    inserts = [s for s, _ in rec.statements if s.startswith("INSERT")]
    if get_engine(app).dialect.name == "sqlite":
        assert len(inserts) == 2, "one statement per table, not one per row"
    stored = _stored(session, "score", "instrument, value")
    assert [stored[s["id"]] for s in scores] == [(s["instrument"], s["value"])
                                                 for s in scores]
    stored = _stored(session, "score_section", "score_id, section, value")
    assert len({s["id"] for s in sections}) == 50
    assert [stored[s["id"]] for s in sections] == [(s["score_id"], s["section"], s["value"])
                                                   for s in sections]


def test_rows_the_key_does_not_tell_apart_still_get_their_own_ids(app, session, clinic):
    from clinic.models import Score

    scores = _score_rows(clinic.due.id)
    for row in scores:
        row["mode"] = "in_clinic"  # one key value for all: no matching by key
    insert_with_ids(session.connection(), Score.__table__, scores, ("mode",))
    stored = _stored(session, "score", "instrument")
    assert [stored[s["id"]] for s in scores] == [(s["instrument"],) for s in scores]


def test_rows_equal_in_every_column_go_as_one_statement_ids_ascending(app, session, clinic):
    """Two identical injectates (2 ml at each of two levels): one INSERT on SQLite;
    the rows are interchangeable, each takes an id of its own, in ascending order."""
    from clinic.models import Injectate

    two_ml = {"procedure_id": clinic.due.procedure_id, "target_id": None,
              "drug": "lidocaine", "concentration_pct": 1.0, "volume_ml": 2.0, "dose_mg": None}
    rows = [dict(two_ml), dict(two_ml, volume_ml=1.0), dict(two_ml), dict(two_ml)]
    with recorded(app) as rec:
        insert_with_ids(session.connection(), Injectate.__table__, rows,
                        ("drug", "concentration_pct", "volume_ml", "dose_mg"))
    inserts = [s for s, _ in rec.statements if s.startswith("INSERT")]
    if get_engine(app).dialect.name == "sqlite":
        assert len(inserts) == 1
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == 4
    assert ids[0] < ids[2] < ids[3]
    stored = _stored(session, "injectate", "volume_ml")
    assert [stored[i] for i in ids] == [(2.0,), (1.0,), (2.0,), (2.0,)]


def test_no_rows_is_no_statement(app, session):
    with recorded(app) as rec:
        insert_with_ids(session.connection(), ScoreSection.__table__, [], ("score_id",))
    assert rec.statements == []
