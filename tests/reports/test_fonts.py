"""Chinese, Japanese and Korean text in the PDFs is text in a font that has it, not boxes;
Thai, Devanagari and the other scripts DejaVu lacks too, in embedded fonts, shaped."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph
from sqlmodel import select

from clinic.demo.protocol import DEMO_STUDY
from clinic.models import PatientIdentity
from clinic.protocol.definition import ArmDefinition
from clinic.reports.render import render
from clinic.reports.render.fonts import (
    CHINESE,
    FONT,
    JAPANESE,
    KOREAN,
    WORD_JOINER,
    font_for,
    markup,
    register_fonts,
    script_font,
)
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


# --- scripts DejaVu lacks: Thai, Devanagari and the others of SCRIPT_RANGES -------------

THAI_NAME, HINDI_NAME = "สมชาย ใจดี (ผู้ป่วย), ทดสอบ", "सिद्धार्थ शर्मा (क्षत्रिय)"


def _script_fonts_installed() -> None:
    """scripts/ensure-system-deps.sh installs them (fonts-noto-core,
    fonts-tlwg-garuda-ttf); in CI their absence fails, elsewhere it skips."""
    if script_font("Thai") is None or script_font("Devanagari") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs fonts-noto-core and fonts-tlwg-garuda-ttf")
        pytest.skip("the Thai and Devanagari fonts are not installed")


def test_a_thai_or_hindi_word_is_in_its_scripts_font_with_its_punctuation():
    _script_fonts_installed()
    assert markup(THAI_NAME) == (
        '<font name="Script-Thai">สมชาย</font> <font name="Script-Thai">ใจดี</font> '
        '<font name="Script-Thai">(ผู้ป่วย),</font> <font name="Script-Thai">ทดสอบ</font>')
    assert markup(HINDI_NAME) == (
        '<font name="Script-Devanagari">सिद्धार्थ</font> '
        '<font name="Script-Devanagari">शर्मा</font> '
        '<font name="Script-Devanagari">(क्षत्रिय)</font>')
    # a word its script's font cannot hold whole is left unshaped, led by a word joiner
    assert markup("डॉ.Sharma") == (
        f'{WORD_JOINER}<font name="Script-Devanagari">डॉ.</font>Sharma')
    assert markup("Sharma डॉ.") == 'Sharma <font name="Script-Devanagari">डॉ.</font>'


def _paragraphs(*texts: str) -> list[Paragraph]:  # the report's base font, as pdf.py
    register_fonts()
    style = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
    return [Paragraph(markup(text), style) for text in texts]


def _drawn(paragraph: Paragraph) -> list[str]:
    """The text of each run as the paragraph draws it (a shaped run: its glyphs)."""
    paragraph.wrap(400, 100)
    return [frag.text for line in paragraph.blPara.lines for frag in line.words]


def test_a_devanagari_word_is_shaped_and_a_latin_one_is_not():
    """Shaped, सिद्धार्थ is drawn with its vowel sign before its consonant and its
    conjuncts as single glyphs (not its characters one by one). DejaVu's own ligatures
    (ffi, fl) would make a Latin word unsearchable, so Latin is never shaped."""
    _script_fonts_installed()
    hindi, latin, mixed = _paragraphs(HINDI_NAME, "office fluoroscopy", "डॉ.Sharma क्ष")
    assert "सिद्धार्थ" not in "".join(_drawn(hindi))
    assert _drawn(latin) == ["office fluoroscopy"]
    drawn = _drawn(mixed)  # the mixed word as typed; the next word shaped
    assert drawn[:3] == [WORD_JOINER, "डॉ.", "Sharma "] and drawn[3] != "क्ष"


def test_thai_and_hindi_names_print_in_embedded_fonts_on_the_call_list(client, clinic, db,
                                                                      tmp_path):
    _script_fonts_installed()
    identity = db.exec(select(PatientIdentity).where(
        PatientIdentity.patient_id == clinic.patient.id)).one()
    identity.name = f"{THAI_NAME} · {HINDI_NAME} · डॉ.Sharma"
    db.add(identity)
    db.commit()
    login(client, clinic.users["nurse"])
    response = client.get(f"/worklist/calls.pdf?day={clinic.due.target_date.isoformat()}")
    assert response.status_code == 200
    assert clinic.patient.study_code in pdf_text(response.data)
    (tmp_path / "calls.pdf").write_bytes(response.data)
    fonts = subprocess.run([shutil.which("pdffonts") or "pdffonts", str(tmp_path / "calls.pdf")],
                           capture_output=True, check=True).stdout.decode()
    embedded = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]
                if line.split()[-5] == "yes"}
    assert {"Garuda", "NotoSansDevanagari-Regular", "DejaVuSans"} <= embedded, fonts


def test_a_bold_heading_in_thai_or_hindi_prints_bold(tmp_path):
    """ReportLab's <font> tag resets the paragraph's weight: a report title or a table
    head in Thai or Hindi printed in the regular face. Marked bold, a script's run is
    set in its bold font."""
    _script_fonts_installed()
    from reportlab.platypus import SimpleDocTemplate

    from clinic.reports.render.fonts import BOLD

    register_fonts()
    heading = ParagraphStyle("h", fontName=BOLD, fontSize=12)
    path = tmp_path / "bold.pdf"
    SimpleDocTemplate(str(path)).build([
        Paragraph(markup(f"{THAI_NAME} {HINDI_NAME}", bold=True), heading)])
    fonts = subprocess.run([shutil.which("pdffonts") or "pdffonts", str(path)],
                           capture_output=True, check=True).stdout.decode()
    names = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    assert {"Garuda-Bold", "NotoSansDevanagari-Bold"} <= names, fonts
    assert "Garuda" not in names and "NotoSansDevanagari-Regular" not in names, fonts
    assert markup(THAI_NAME) == markup(THAI_NAME, bold=False)  # regular text as before
