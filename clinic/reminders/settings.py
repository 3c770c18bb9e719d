"""Reminder settings read from the app config (clinic/config.py holds the documented keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from clinic.models.base import utcnow
from clinic.reminders.mail import DEFAULT_TIMEOUT, SmtpSettings

# Defaults for keys clinic/config.py does not list (set them in instance/config.py).
DEFAULT_DAYS_BEFORE = 3  # a patient is reminded this many days before the visit
DEFAULT_RETRY_MINUTES = 5  # first retry after 5 min, then 10, 20, 40 ...
DEFAULT_CLAIM_LEASE_MINUTES = 15  # a 'sending' row older than this: outcome unknown
DEFAULT_POLL_MINUTES = 5  # the scheduler's delivery (retry) job runs this often


@dataclass(frozen=True)
class ReminderSettings:
    timezone: ZoneInfo
    hour: int
    max_attempts: int
    days_before: int
    retry_base: timedelta
    claim_lease: timedelta
    poll: timedelta
    smtp: SmtpSettings
    public_url: str = "http://127.0.0.1:5000"  # links in patients' e-mails start with it

    def today(self, now: datetime | None = None) -> date:
        """The clinic's calendar day at ``now`` (default: the current time)."""
        return (now or utcnow()).astimezone(self.timezone).date()

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the next try after ``attempts`` failed tries (exponential)."""
        return self.retry_base * (2 ** max(attempts - 1, 0))


def reminder_settings(config: Mapping[str, Any]) -> ReminderSettings:
    return ReminderSettings(
        timezone=ZoneInfo(config["TIMEZONE"]),
        hour=int(config["REMINDER_HOUR"]),
        max_attempts=max(int(config["REMINDER_MAX_ATTEMPTS"]), 1),
        days_before=int(config.get("REMINDER_DAYS_BEFORE", DEFAULT_DAYS_BEFORE)),
        retry_base=timedelta(minutes=float(config.get("REMINDER_RETRY_MINUTES",
                                                      DEFAULT_RETRY_MINUTES))),
        claim_lease=timedelta(minutes=float(config.get("REMINDER_CLAIM_LEASE_MINUTES",
                                                       DEFAULT_CLAIM_LEASE_MINUTES))),
        poll=timedelta(minutes=float(config.get("REMINDER_POLL_MINUTES", DEFAULT_POLL_MINUTES))),
        public_url=str(config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        smtp=SmtpSettings(
            host=config["SMTP_HOST"], port=int(config["SMTP_PORT"]),
            user=config.get("SMTP_USER"), password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_TLS")), mail_from=config["MAIL_FROM"],
            ca_file=config.get("SMTP_CA_FILE") or None,
            timeout=max(float(config.get("SMTP_TIMEOUT") or DEFAULT_TIMEOUT), 0.1)),
    )
