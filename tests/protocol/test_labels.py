"""Timepoint labels naming a time are checked against their offsets (clinic.protocol.labels)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clinic.protocol.labels import days_named, label_mismatches


@pytest.mark.parametrize(("label", "days"), [
    ("3 months", 91.32), ("1 month", 30.44), ("6-month", 182.64), ("Week 2", 14),
    ("1 day", 1), ("12 weeks", 84), ("Year 1", 365.25), ("Baseline", None),
    ("Month 3 (phone)", 91.32), ("2 Weeks", 14),
])
def test_the_days_a_label_names(label, days):
    named = days_named(label)
    assert named == pytest.approx(days) if days is not None else named is None


def _tp(label: str, offset: int) -> SimpleNamespace:
    return SimpleNamespace(label=label, offset_days=offset)


def test_a_label_far_from_its_offset_is_named_and_a_near_one_is_not():
    """Found testing as a new user would: an amendment moved '3 months' to day 120 and
    nothing said the label no longer fit."""
    found = label_mismatches([_tp("Baseline", 0), _tp("1 day", 1), _tp("1 week", 7),
                              _tp("3 months", 90), _tp("3 months", 84), _tp("12 weeks", 90),
                              _tp("3 months", 120), _tp("2 weeks", 1)])
    assert found == [
        "'3 months' is scheduled on day 120, while its label names about day 91: check the "
        "label or the offset.",
        "'2 weeks' is scheduled on day 1, while its label names about day 14: check the "
        "label or the offset."]
