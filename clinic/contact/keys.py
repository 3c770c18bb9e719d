"""Search keys of identifying data (pure): how a name or a phone number is matched."""

from __future__ import annotations

import re
import unicodedata


def name_key(text: str | None) -> str | None:
    """'Zoë  MÜLLER-Lüdenscheidt' -> 'zoe muller-ludenscheidt' (for matching only)."""
    if not text:
        return None
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.replace("ß", "ss").split())[:200] or None


def mrn_key(text: str | None) -> str | None:
    """' rt-0005 ' and 'RT-0005' -> 'rt-0005': one MRN however it was typed."""
    key = "".join((text or "").casefold().split())
    return key[:50] or None


def phone_key(text: str | None) -> str | None:
    """'+49 (0)30 1234-567' -> '490301234567': the digits only."""
    digits = re.sub(r"\D", "", text or "")
    return digits[:40] or None
