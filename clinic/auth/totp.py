"""The optional second factor: time-based one-time codes (RFC 6238, pyotp).

A code is accepted for the current 30-second step or one step either side (clock
drift), and only for a step later than the last accepted one, so a code seen over a
shoulder cannot be used a second time.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

ISSUER = "clinic"
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or None if it is wrong, stale or replayed."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def qr_svg_data_uri(uri: str) -> str:
    """The provisioning URI as a QR code (an SVG data URI, no script, no request)."""
    import segno

    return str(segno.make(uri, error="m").svg_data_uri(scale=4))
