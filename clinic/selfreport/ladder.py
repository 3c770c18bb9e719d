"""A study's reminder ladder for self-report (pure: dates in, dates out).

``reminder_days`` counts days from the opening of the visit's window: the first entry
is the invitation (usually 0), the others are reminders. A message whose day falls
after the window closes is not part of the ladder. ``call_after_days`` (from the
window opening) is when an unanswered visit becomes a call on the nurse's worklist, at
the latest ``CALL_LEAD_DAYS`` before the window closes, whenever the link went out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

DEFAULT_DAYS = (0, 3, 7)
DEFAULT_CALL_AFTER = 10
MAX_STEPS = 6
CALL_LEAD_DAYS = 2  # the call comes at the latest this many days before the window closes


@dataclass(frozen=True)
class LadderSpec:
    reminder_days: tuple[int, ...] = DEFAULT_DAYS
    call_after_days: int | None = DEFAULT_CALL_AFTER
    second_factor: str = "none"  # none | birth_year | birth_date (catalog.SECOND_FACTORS)

    def describe(self) -> str:
        days = ", ".join(str(d) for d in self.reminder_days)
        call = ("no call" if self.call_after_days is None
                else f"a call after {self.call_after_days} days")
        asked = {"none": "nothing asked first", "birth_year": "the year of birth asked first",
                 "birth_date": "the date of birth asked first"}.get(self.second_factor,
                                                                    self.second_factor)
        return f"messages on days {days} of the window, {call}, {asked}"

    def to_json(self) -> dict[str, Any]:
        return {"reminder_days": list(self.reminder_days),
                "call_after_days": self.call_after_days, "second_factor": self.second_factor}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LadderSpec | None:
        if not data:
            return None
        return cls(tuple(int(d) for d in data.get("reminder_days", DEFAULT_DAYS)),
                   data.get("call_after_days"), str(data.get("second_factor", "none")))


def step_label(step: int) -> str:
    return "invitation" if step == 0 else f"reminder {step}"


def ladder(window_open: date, window_close: date, spec: LadderSpec) -> list[tuple[int, date]]:
    """(step, send day) of every message the ladder plans for this window."""
    days = [(step, window_open + timedelta(days=d)) for step, d in enumerate(spec.reminder_days)]
    return [(step, day) for step, day in days if day <= window_close]


def due_steps(window_open: date, window_close: date, today: date,
              spec: LadderSpec) -> list[tuple[int, date]]:
    """The ladder's messages whose day has come, while the window is open today."""
    if not window_open <= today <= window_close:
        return []
    return [(step, day) for step, day in ladder(window_open, window_close, spec) if day <= today]


def call_on(window_open: date, window_close: date, spec: LadderSpec) -> date | None:
    """The day an unanswered visit becomes a call task (None: never): ``call_after_days``
    after the window opens, but no later than ``CALL_LEAD_DAYS`` before it closes (the
    days left to reach the patient), nor before it opens (a window shorter than that)."""
    if spec.call_after_days is None:
        return None
    latest = max(window_open, window_close - timedelta(days=CALL_LEAD_DAYS))
    return min(window_open + timedelta(days=spec.call_after_days), latest)
