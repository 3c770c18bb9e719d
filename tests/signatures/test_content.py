"""The signed content's hash: any single change of any field voids it; order does not."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.signatures.content import canonical_content, content_hash

CONTENT = {
    "patient": [{"id": 1, "bmi": 27.4, "sex": "female", "birth_year": 1961, "version": 3}],
    "procedure": [{"id": 4, "performed_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
                   "modality": "ct", "dlp_mgy_cm": 412.5, "punctures": 2}],
    "assessment": [{"id": 9, "state": "completed", "visit_on": date(2026, 4, 2),
                    "mode": "phone", "missing_reason": None},
                   {"id": 10, "state": "not_done", "visit_on": None, "mode": None,
                    "missing_reason": None}],
    "score": [{"id": 20, "assessment_id": 9, "instrument": "vas", "value": 4.0},
              {"id": 21, "assessment_id": 9, "instrument": "odi", "value": 32.0}],
    "score_section": [{"id": 30 + i, "score_id": 21, "section": i, "value": i % 6}
                      for i in range(1, 11)],
}
FIELDS = [(kind, i, column) for kind, rows in CONTENT.items() for i, row in enumerate(rows)
          for column in row if column != "version"]
NEW_VALUES = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
              | st.floats(allow_nan=False) | st.text(max_size=20)
              | st.dates() | st.datetimes(timezones=st.just(UTC)))


def _mutated(kind: str, index: int, column: str, value: object) -> dict:
    rows = [dict(row) for row in CONTENT[kind]]
    rows[index][column] = value
    return {**CONTENT, kind: rows}


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(FIELDS), NEW_VALUES)
def test_any_single_field_changed_voids_the_hash(field, value):
    kind, index, column = field
    old = CONTENT[kind][index][column]
    if value == old and type(value) is type(old):
        return  # not a change
    assert content_hash(_mutated(kind, index, column, value)) != content_hash(CONTENT)


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_order_of_rows_and_columns_does_not_matter(random):
    shuffled = {}
    for kind in random.sample(list(CONTENT), len(CONTENT)):
        rows = [dict(random.sample(list(row.items()), len(row))) for row in CONTENT[kind]]
        random.shuffle(rows)
        shuffled[kind] = rows
    assert content_hash(shuffled) == content_hash(CONTENT)


def test_the_version_counter_and_float_bits():
    bumped = _mutated("patient", 0, "version", 4)
    assert content_hash(bumped) == content_hash(CONTENT)
    assert content_hash(_mutated("score", 0, "value", 4.000000000000001)) != content_hash(CONTENT)
    assert '["bmi","27.4"]' in canonical_content(CONTENT)
