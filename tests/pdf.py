"""Text of a PDF through poppler's pdftotext (scripts/test.sh installs it; in CI its
absence fails the test, on a developer's machine it skips)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs poppler-utils (pdftotext)")
        pytest.skip("pdftotext is not installed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()
