"""The filters of a study report: which patients, as of which day.

One frozen value is built from the CLI options, the web form or a test, so the
same filters always mean the same report (they are part of the reproducibility
stamp and printed on the title page).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from clinic import catalog
from clinic.exceptions import ValidationError


def _tuple(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(sorted({v.strip() for v in values or () if v and v.strip()}))


@dataclass(frozen=True)
class ReportFilters:
    """Procedure date range (clinic time zone), sites, procedure types, levels, arms.

    Empty tuples mean "all". ``as_of`` is the day follow-up status (due, missed,
    pending) is judged on; it defaults to the clinic's today in the callers.
    """

    as_of: date
    date_from: date | None = None
    date_to: date | None = None
    sites: tuple[str, ...] = field(default=())
    procedure_types: tuple[str, ...] = field(default=())
    levels: tuple[str, ...] = field(default=())
    arms: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("sites", "procedure_types", "levels", "arms"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        errors = {}
        if self.date_from and self.date_to and self.date_from > self.date_to:
            errors["date_to"] = "The end of the date range is before its start."
        unknown = set(self.procedure_types) - set(catalog.PROCEDURE_TYPES)
        if unknown:
            errors["procedure_types"] = (f"Unknown procedure type(s): "
                                         f"{', '.join(sorted(unknown))}. Choose from: "
                                         f"{', '.join(catalog.PROCEDURE_TYPES)}.")
        unknown = set(self.levels) - set(catalog.LEVELS)
        if unknown:
            errors["levels"] = (f"Unknown level(s): {', '.join(sorted(unknown))}. Choose "
                                f"from: {', '.join(catalog.LEVELS)}.")
        if errors:
            raise ValidationError(errors)

    @property
    def uses_procedure(self) -> bool:
        """True when a filter needs the index procedure (date, type or level)."""
        return bool(self.date_from or self.date_to or self.procedure_types or self.levels)

    def describe(self) -> list[tuple[str, str]]:
        """(what, value) pairs for the title page and the HTML header."""
        if self.date_from and self.date_to:
            span = f"{self.date_from} to {self.date_to}"
        elif self.date_from or self.date_to:
            span = f"from {self.date_from}" if self.date_from else f"until {self.date_to}"
        else:
            span = "all dates"
        return [
            ("Procedure dates", span),
            ("Sites", ", ".join(self.sites) or "all"),
            ("Procedure types", ", ".join(catalog.PROCEDURE_TYPES[t] for t in
                                          self.procedure_types) or "all"),
            ("Levels", ", ".join(catalog.LEVELS[v] for v in self.levels) or "all"),
            ("Arms", ", ".join(self.arms) or "all"),
            ("Data cut-off (as of)", self.as_of.isoformat()),
        ]

    def as_query(self) -> list[tuple[str, str]]:
        """The filters as URL query pairs (the web form's field names)."""
        pairs = [("as_of", self.as_of.isoformat())]
        pairs += [(k, v.isoformat()) for k, v in (("date_from", self.date_from),
                                                   ("date_to", self.date_to)) if v]
        for name in ("sites", "procedure_types", "levels", "arms"):
            pairs += [(name, v) for v in getattr(self, name)]
        return pairs


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({name: f"Not a date (YYYY-MM-DD): {value[:40]!r}."}) from None


def filters_from_mapping(values: Mapping[str, object], today: date) -> ReportFilters:
    """Filters from a form or options mapping (lists for the multi-valued fields)."""

    def many(name: str) -> list[str]:
        raw = values.get(name) or []
        items = [raw] if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
        return [part for item in items for part in str(item).split(",")]

    as_of = _date(values.get("as_of"), "as_of") or today  # type: ignore[arg-type]
    if as_of > today:  # every visit not due yet would count as missed
        raise ValidationError({"as_of": f"The follow-up status is counted as of a day that "
                                        f"has come: today ({today.isoformat()}) at the "
                                        "latest."})
    return ReportFilters(
        as_of=as_of,
        date_from=_date(values.get("date_from"), "date_from"),  # type: ignore[arg-type]
        date_to=_date(values.get("date_to"), "date_to"),  # type: ignore[arg-type]
        sites=many("sites"), procedure_types=many("procedure_types"),
        levels=many("levels"), arms=many("arms"),
    )
