"""How an outcome value was collected."""

from __future__ import annotations

from enum import StrEnum


class CollectionMode(StrEnum):
    IN_CLINIC = "in_clinic"
    PHONE = "phone"
    SELF_REPORT = "self_report"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    CollectionMode.IN_CLINIC: "In clinic",
    CollectionMode.PHONE: "Phone",
    CollectionMode.SELF_REPORT: "Patient self-report",
}
