"""Content-Disposition for downloads (RFC 6266 / RFC 5987): a file name built from data
(a study code) never breaks the header, whatever characters it holds."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME = 120


def attachment(name: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded``."""
    name = "".join(c for c in name if c.isprintable())[:MAX_NAME] or "download"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^A-Za-z0-9._-]+', "_", ascii_name).strip("._") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
