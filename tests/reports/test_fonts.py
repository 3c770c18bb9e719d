"""Chinese, Japanese and Korean text in the PDFs is text in a font that has it, not boxes."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest
from sqlmodel import select

from clinic.demo.protocol import DEMO_STUDY
from clinic.models import PatientIdentity
from clinic.protocol.definition import ArmDefinition
from clinic.reports.render import render
from clinic.reports.render.fonts import CHINESE, JAPANESE, KOREAN, font_for, markup
from tests.pdf import pdf_text
from tests.reports.helpers import populate, report_of
from tests.web.helpers import login

JAPANESE_STUDY = dataclasses.replace(
    DEMO_STUDY, code="JP", title="腰痛に対する透視下と CT 下のブロック研究",
    arms=(ArmDefinition("A", "A群: 透視下", "fluoroscopy"),
          ArmDefinition("B", "B群: CT 下", "ct")))


def test_latin_text_is_only_escaped():
    assert markup("VAS < 4 & ODI ≥ 20 % (χ²)") == "VAS &lt; 4 &amp; ODI ≥ 20 % (χ²)"
    assert font_for("Group A: fluoroscopy-guided", "DejaVuSans") == "DejaVuSans"


@pytest.mark.parametrize(("text", "font"), [
    ("腰痛研究 <1>", CHINESE),         # Han only: Simplified Chinese
    ("腰痛の研究 <1>", JAPANESE),      # kana: the Han characters too in the Japanese font
    ("요통 연구 <1>", KOREAN),
])
def test_cjk_runs_go_to_the_font_of_their_script(text, font):
    out = markup(text)
    assert f'<font name="{font}">' in out and "&lt;1&gt;" in out
    assert out.replace(f'<font name="{font}">', "").replace("</font>", "") == \
        text.replace("<", "&lt;").replace(">", "&gt;")
    assert font_for(text, "DejaVuSans") == font


def test_a_character_the_scripts_font_lacks_goes_to_a_font_that_has_it():
    name = "Tanaka 田中 (タナカ) 李小龙"  # Japanese, with a simplified Chinese 龙 (not in JIS)
    out = markup(name)
    assert f'<font name="{JAPANESE}">田中</font>' in out
    assert f'<font name="{JAPANESE}">李小</font><font name="{CHINESE}">龙</font>' in out
    assert font_for(name, "DejaVuSans") == CHINESE  # one font for all: the one with all
    assert font_for("김민준 (金敏俊)", "DejaVuSans") == KOREAN


def test_a_study_in_japanese_reads_back_from_its_pdf(db, tmp_path):
    populate(db, JAPANESE_STUDY, 6)
    [(_name, content)] = render(report_of(db, "JP"), "pdf")
    text = pdf_text(content)  # (DejaVu alone: boxes, and nothing here)
    assert JAPANESE_STUDY.title in text.replace("\n", "")
    assert "A群: 透視下" in text and "B群: CT 下" in text
    (tmp_path / "report.pdf").write_bytes(content)
    fonts = subprocess.run([shutil.which("pdffonts") or "pdffonts", str(tmp_path / "report.pdf")],
                           capture_output=True, check=True).stdout.decode()
    assert JAPANESE in fonts and "DejaVuSans" in fonts


def test_a_name_in_several_scripts_is_whole_on_the_nurses_call_list(client, clinic, db):
    identity = db.exec(select(PatientIdentity).where(
        PatientIdentity.patient_id == clinic.patient.id)).one()
    identity.name = "김민준 · Tanaka 田中 (タナカ) 李小龙"
    db.add(identity)
    db.commit()
    login(client, clinic.users["nurse"])
    response = client.get(f"/worklist/calls.pdf?day={clinic.due.target_date.isoformat()}")
    assert response.status_code == 200
    text = pdf_text(response.data)  # (the name wraps in its cell)
    assert all(part in text for part in ("김민준 · Tanaka 田中", "(タナカ) 李小龙"))
