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
    _stored_as_given(session, scores, sections, 50)


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


def test_postgresql_sends_any_number_of_rows_as_one_statement_text(app, session, clinic):
    """On PostgreSQL, insert_unnested sends each column as an array (``unnest``): the
    statement's text is the same for 2 rows as for 3 (parsed once, prepared once), the
    rows keep their order and their ids rise with it. Other engines: not handled
    (None), nothing written."""
    from clinic.models import Score
    from clinic.models.inserts import insert_unnested

    rows = _score_rows(clinic.due.id)
    few, more = rows[:2], rows[2:]
    more[1]["value"] = 3  # an int among floats: one array of one type
    with recorded(app) as rec:
        ids = [insert_unnested(session.connection(), Score.__table__, rows, returning_ids=True)
               for rows in (few, more)]
    if get_engine(app).dialect.name != "postgresql":
        assert ids == [None, None] and rec.statements == []
        return
    first, second = (s for s, _ in rec.statements if s.startswith("INSERT"))
    assert first == second and "unnest" in first
    assert all(a < b for a, b in zip(ids[1], ids[1][1:], strict=False))
    stored = _stored(session, "score", "instrument, value")
    assert [stored[i] for i in ids[1]] == [(s["instrument"], float(s["value"])) for s in more]


def test_postgresql_refuses_an_over_long_string_rather_than_cut_it(app, session, clinic):
    """The arrays go as TEXT[]: the INSERT's own check refuses a value longer than its
    column (a cast to VARCHAR(n)[] would cut it short silently)."""
    import pytest
    from sqlalchemy.exc import DataError

    from clinic.models import Score
    from clinic.models.inserts import insert_unnested

    if get_engine(app).dialect.name != "postgresql":
        return  # the other engines do not take this path (test above)
    before = _stored(session, "score", "instrument")
    rows = _score_rows(clinic.due.id)[:1]
    rows[0]["not_computable_reason"] = "x" * 301
    with pytest.raises(DataError, match="too long"), session.begin_nested():
        insert_unnested(session.connection(), Score.__table__, rows)
    naive = _score_rows(clinic.due.id)[:1]
    naive[0]["collected_at"] = datetime(2026, 1, 1, 12)  # UTCDateTime's own check
    with pytest.raises(Exception, match="naive datetime refused"), session.begin_nested():
        insert_unnested(session.connection(), Score.__table__, naive)
    assert _stored(session, "score", "instrument") == before


def test_postgresql_stores_every_text_as_given_with_the_binary_arrays(app, session):
    """The arrays go in the binary format (no element quoted in Python): the texts an
    array's text form must quote or escape (NULL as a word, braces, commas, quotes,
    backslashes, spaces, accents) and None are stored as given."""
    from clinic.models import AuditEvent
    from clinic.models.inserts import insert_unnested, new_row

    if get_engine(app).dialect.name != "postgresql":
        return  # the other engines do not take this path
    said = ["NULL", "{a,b}", 'say "x"', "back\\slash", "  ", "é ü 𝛼", None, "", "null"]
    now = datetime.now(UTC)
    rows = [new_row(AuditEvent, {"occurred_at": now, "entity": "score", "entity_id": i,
                                 "action": "update", "field": "value", "new_value": reason,
                                 "reason": reason}) for i, reason in enumerate(said)]
    with recorded(app) as rec:
        insert_unnested(session.connection(), AuditEvent.__table__, rows)
    statement = next(s for s, _ in rec.statements if s.startswith("INSERT"))
    assert "%(c0)b" in statement
    stored = session.connection().execute(text(
        "SELECT entity_id, new_value, reason FROM audit_event WHERE occurred_at = :now "
        "ORDER BY id"), {"now": now}).all()
    assert [tuple(row) for row in stored] == [(i, r, r) for i, r in enumerate(said)]


def test_parents_and_children_in_one_statement_each_child_under_its_own_parent(
        app, session, clinic):
    """insert_family: on PostgreSQL one statement; each child takes the id of the parent
    at the position it named, every row its own id, as stored; elsewhere it declines and
    writes nothing."""
    from clinic.models import Score
    from clinic.models.inserts import insert_family

    scores = _score_rows(clinic.due.id)
    sections = [{"score_id": position, "section": n, "value": (position + n) % 6}
                for position in (3, 0, 4) for n in range(10, 0, -1)]  # not in order
    named = [s["score_id"] for s in sections]
    with recorded(app) as rec:
        done = insert_family(session.connection(), Score.__table__, scores,
                             ScoreSection.__table__, sections, "score_id")
    if get_engine(app).dialect.name != "postgresql":
        assert done is False and not rec.statements
        return
    assert done is True
    assert len(rec.statements) == 1
    assert [s["score_id"] for s in sections] == [scores[p]["id"] for p in named]
    _stored_as_given(session, scores, sections, 30)


def _stored_as_given(session, scores, sections, count: int) -> None:
    """Every score and section stored with the id it was given, ``count`` sections."""
    stored = _stored(session, "score", "instrument, value")
    assert [stored[s["id"]] for s in scores] == [(s["instrument"], s["value"])
                                                 for s in scores]
    stored = _stored(session, "score_section", "score_id, section, value")
    assert len({s["id"] for s in sections}) == count
    assert [stored[s["id"]] for s in sections] == [(s["score_id"], s["section"], s["value"])
                                                   for s in sections]
