"""The report's fonts: DejaVu Sans, and for Chinese, Japanese and Korean text the Asian
fonts every PDF reader knows by name.

DejaVu Sans (shipped with matplotlib, embedded in the PDF) covers Latin, Greek,
Cyrillic and the report's symbols (χ², ±, ≥, –, ·), but no Chinese, Japanese or Korean:
a study defined in those languages (its title, arm labels, site names, reasons, timepoint
labels) came out as empty boxes, and as nothing when the text was copied or searched.
Runs of such text are set in one of ReportLab's CID fonts, the Adobe Asian fonts of the
PDF standard: not embedded, the reader supplies the glyphs (Acrobat, Chrome, Firefox,
Preview do; poppler with a CJK font installed), and the text stays text, selectable,
searchable and extractable. The font follows the text's script (Korean where it holds
Hangul, Japanese where it holds kana, else Simplified Chinese), and a character that
font lacks goes to one that has it.

The scripts of South and Southeast Asia DejaVu lacks too (Thai, Devanagari, Bengali,
Tamil and the others of ``SCRIPT_RANGES``) are set in a font of the system, embedded:
Noto Sans (Debian: ``fonts-noto-core``), for Thai TLWG Garuda
(``fonts-tlwg-garuda-ttf``), from ``/usr/share/fonts/truetype`` or the folder
``CLINIC_SCRIPT_FONTS`` names; and shaped with HarfBuzz (``uharfbuzz``), so that
Devanagari's vowel signs are placed and its conjuncts formed, Thai's marks stacked.
Without the fonts such text still prints as boxes. Latin text is never shaped (DejaVu's
ligatures would make "fi" one glyph, and the PDF's text unsearchable).
"""

from __future__ import annotations

import importlib.util
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.paragraph import _wsc  # ReportLab's word breaks (5.1)

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
JAPANESE, KOREAN, CHINESE = "HeiseiKakuGo-W5", "HYGothic-Medium", "STSong-Light"
CODECS = {JAPANESE: "cp932", CHINESE: "gbk", KOREAN: "cp949"}  # see has_glyph
HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF),
          (0xD7B0, 0xD7FF))
KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
OTHER_CJK = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3190, 0x31EF), (0x3200, 0x4DBF),
             (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFF65),
             (0xFFA0, 0xFFEF), (0x20000, 0x3134F))


# scripts DejaVu Sans lacks: (first, last code point, script)
SCRIPT_RANGES = (
    (0x0900, 0x097F, "Devanagari"), (0xA8E0, 0xA8FF, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"), (0x0A00, 0x0A7F, "Gurmukhi"), (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Oriya"), (0x0B80, 0x0BFF, "Tamil"), (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"), (0x0D00, 0x0D7F, "Malayalam"), (0x0D80, 0x0DFF, "Sinhala"),
    (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Lao"), (0x1000, 0x109F, "Myanmar"),
    (0x1780, 0x17FF, "Khmer"), (0x1200, 0x139F, "Ethiopic"),
)
FONT_FOLDER = "/usr/share/fonts/truetype"  # Debian's; CLINIC_SCRIPT_FONTS elsewhere
# each script's font files (regular, bold), the first found: Noto Sans (fonts-noto-core),
# for Thai first TLWG Garuda (fonts-tlwg-garuda-ttf), which has the Latin punctuation
# too (a Thai word with its comma or parenthesis is one font, shaped whole)
SCRIPT_FILES = {script: ((f"noto/NotoSans{script}-Regular.ttf",
                          f"noto/NotoSans{script}-Bold.ttf"),)
                for script in {script for _low, _high, script in SCRIPT_RANGES}}
SCRIPT_FILES["Thai"] = (("tlwg/Garuda.ttf", "tlwg/Garuda-Bold.ttf"), *SCRIPT_FILES["Thai"])


class _NeverShaped(TTFont):
    """DejaVu Sans, as the base font of a paragraph that may be shaped (ReportLab shapes
    a paragraph only where its base font can be), whose own words are left as they are:
    ReportLab shapes a word with its first font's HarfBuzz font and leaves the word be
    where that font has none."""

    def hbFont(self, fontSize: float = 10) -> None:  # noqa: N802  (ReportLab's name)
        raise AttributeError("Latin text is not shaped")


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    spec = importlib.util.find_spec("matplotlib")
    assert spec and spec.submodule_search_locations
    ttf = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
    pdfmetrics.registerFont(_NeverShaped(FONT, str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(_NeverShaped(BOLD, str(ttf / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    ParagraphStyle.defaults["shaping"] = 1  # the script fonts' words (HarfBuzz installed)


def _font_folder() -> Path:
    return Path(os.environ.get("CLINIC_SCRIPT_FONTS") or FONT_FOLDER)


@lru_cache(maxsize=32)
def script_font(script: str) -> str | None:
    """The script's font registered (regular and bold) as ``Script-<script>``, or None
    where the system has none of its files."""
    found = next(((regular, bold) for regular, bold in SCRIPT_FILES[script]
                  if (_font_folder() / regular).is_file()), None)
    if found is None:
        return None
    register_fonts()
    name = heavy = f"Script-{script}"
    pdfmetrics.registerFont(TTFont(name, str(_font_folder() / found[0])))
    if (_font_folder() / found[1]).is_file():
        heavy = f"{name}-Bold"
        pdfmetrics.registerFont(TTFont(heavy, str(_font_folder() / found[1])))
    pdfmetrics.registerFontFamily(name, normal=name, bold=heavy, italic=name, boldItalic=heavy)
    return name


def _script_of(char: str) -> str | None:
    code = ord(char)
    return next((script for low, high, script in SCRIPT_RANGES if low <= code <= high), None)


def _is_mark(char: str) -> bool:
    """A combining mark or a joiner: it goes with the character before it."""
    return unicodedata.category(char) in ("Mn", "Mc", "Me", "Cf")


def _within(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def is_cjk(char: str) -> bool:
    code = ord(char)
    return code >= 0x1100 and _within(code, HANGUL + KANA + OTHER_CJK)


@lru_cache(maxsize=8192)
def has_glyph(font: str, char: str) -> bool:
    """Whether the Asian font's character collection holds ``char``, by the legacy
    encoding the collection covers (Adobe-Japan1 ⊇ Shift-JIS (cp932), Adobe-GB1 ⊇ GBK,
    Adobe-Korea1 ⊇ cp949): a name mixing scripts, say Japanese with a simplified
    Chinese 龙, needs two fonts."""
    try:
        char.encode(CODECS[font])
    except UnicodeEncodeError:
        return False
    return True


def _preferred(text: str) -> str:
    codes = [ord(c) for c in text]
    if any(_within(c, HANGUL) for c in codes):
        return KOREAN
    if any(_within(c, KANA) for c in codes):
        return JAPANESE
    return CHINESE


def _font_of(char: str, preferred: str) -> str:
    if has_glyph(preferred, char):
        return preferred
    return next((font for font in CODECS if has_glyph(font, char)), preferred)


def _registered(name: str) -> str:
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


def _plain(text: str) -> bool:
    return text.isascii() or not any(is_cjk(c) or _script_of(c) for c in text)


def markup(text: str, *, bold: bool = False) -> str:
    """``text`` as Paragraph markup: escaped, each CJK run in an Asian font that has it
    (the text's own script's font first: Korean for Hangul, Japanese for kana, else
    Simplified Chinese), each run of another script DejaVu lacks in its script's font
    where the system has one (:func:`_words_in_script_fonts`). ``bold``: for a paragraph
    in a bold style, whose weight ReportLab's ``<font>`` tag resets: a script's run is
    set in its bold font (the Asian fonts have none)."""
    if _plain(text):
        return escape(text)
    preferred = _preferred(text)
    placed = _words_in_script_fonts(
        [(c, _font_of(c, preferred) if is_cjk(c) else None) for c in text])
    runs: list[tuple[str | None, str]] = []
    for char, font in placed:
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return "".join(escape(run) if font is None else _in_font(font, escape(run), bold)
                   for font, run in runs)


def _in_font(font: str, run: str, bold: bool) -> str:
    if bold and font.startswith("Script-"):  # <b> inside <font>: its family's bold face
        return f'<font name="{font}"><b>{run}</b></font>'
    return f'<font name="{_registered(font)}">{run}</font>'


WORD_JOINER = "\u2060"  # zero width, in DejaVu, and no word break for ReportLab
_WORD_BREAK = re.compile(f"([{re.escape(_wsc)}]+)")  # where ReportLab breaks words


def _words_in_script_fonts(placed: list[tuple[str, str | None]]
                           ) -> list[tuple[str, str | None]]:
    """Each character with its font, given the CJK ones: a script's letters in its
    font, a combining mark or joiner with its letter. ReportLab shapes a word (between
    spaces) whole, with the font of its first character, and fails on a character that
    font lacks: so a word's punctuation and digits go to its script's font where that
    font has them (a Thai name's comma, a Hindi title's parentheses), and a word that
    still mixes fonts (a Latin letter in a Hindi word) starts with a zero-width word
    joiner in DejaVu, which ReportLab does not shape: its letters are right, unjoined."""
    for i, (char, font) in enumerate(placed):
        if font is None and i and _is_mark(char):
            placed[i] = (char, placed[i - 1][1])
        elif font is None and (script := _script_of(char)):
            placed[i] = (char, script_font(script))
    out: list[tuple[str, str | None]] = []
    text = "".join(char for char, _font in placed)
    at = 0
    for part in _WORD_BREAK.split(text):
        out += _one_font_a_word(placed[at:at + len(part)])
        at += len(part)
    return out


def _one_font_a_word(word: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    script = next((f for _c, f in word if f and f.startswith("Script-")), None)
    if script is None:
        return word
    glyphs = pdfmetrics.getFont(script).face.charToGlyph  # type: ignore[attr-defined]
    word = [(c, script if f is None and ord(c) in glyphs else f) for c, f in word]
    if any(f != script for _c, f in word):
        return [(WORD_JOINER, None), *word]
    return word


def font_for(text: str, font: str) -> str:
    """The font to draw ``text`` in as one string (a figure's labels): ``font``, or an
    Asian font that has every CJK character of it (and Latin letters too), or for text
    in a script of ``SCRIPT_RANGES`` the font, of that script's and ``font``, that has
    more of its characters (a figure's string is one font, and not shaped)."""
    if _plain(text):
        return font
    if not any(is_cjk(c) for c in text):
        return max((font, *{f for c in text if (script := _script_of(c))
                           and (f := script_font(script))}),
                   key=lambda name: _covered(name, text))
    preferred = _preferred(text)
    chars = [c for c in text if is_cjk(c)]
    whole = next((f for f in (preferred, *CODECS) if all(has_glyph(f, c) for c in chars)),
                 preferred)
    return _registered(whole)


def _covered(font: str, text: str) -> int:
    glyphs = pdfmetrics.getFont(font).face.charToGlyph  # type: ignore[attr-defined]
    return sum(ord(c) in glyphs for c in text)
