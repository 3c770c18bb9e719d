"""Exceptions shared across the application."""


class ClinicError(Exception):
    """Base of the application's own errors."""


class SchemaOutOfDate(ClinicError):
    """The database schema does not match the code's migrations."""


class DatabaseUnavailable(SchemaOutOfDate):
    """The database cannot be opened at all (a wrong URL, a folder that is not there)."""


class ValidationError(ClinicError):
    """Input refused; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in errors.items()))


class ConflictError(ClinicError):
    """Someone else changed the record since it was read."""


class BrokenVersion(ClinicError):
    """A change came without the version of the record it was read at, or with one the
    record never had (a hand-made or broken form): nothing is written, and it is not
    reported as someone else's save."""


class NotFound(ClinicError):
    """The record does not exist or is not visible to this user."""


class LockedError(ClinicError):
    """The record (its visit, its patient or its whole study) is locked: nothing is
    written. The API answers 423 Locked, the screens a page saying so."""
