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
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
JAPANESE, KOREAN, CHINESE = "HeiseiKakuGo-W5", "HYGothic-Medium", "STSong-Light"
CODECS = {JAPANESE: "cp932", CHINESE: "gbk", KOREAN: "cp949"}  # see has_glyph
HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF),
          (0xD7B0, 0xD7FF))
KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
OTHER_CJK = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3190, 0x31EF), (0x3200, 0x4DBF),
             (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFF65),
             (0xFFA0, 0xFFEF), (0x20000, 0x3134F))


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    spec = importlib.util.find_spec("matplotlib")
    assert spec and spec.submodule_search_locations
    ttf = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(ttf / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


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
    return text.isascii() or not any(is_cjk(c) for c in text)


def markup(text: str) -> str:
    """``text`` as Paragraph markup: escaped, each CJK run in an Asian font that has it
    (the text's own script's font first: Korean for Hangul, Japanese for kana, else
    Simplified Chinese)."""
    if _plain(text):
        return escape(text)
    preferred = _preferred(text)
    runs: list[tuple[str | None, str]] = []
    for char in text:
        font = _font_of(char, preferred) if is_cjk(char) else None
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return "".join(escape(run) if font is None
                   else f'<font name="{_registered(font)}">{escape(run)}</font>'
                   for font, run in runs)


def font_for(text: str, font: str) -> str:
    """The font to draw ``text`` in as one string (a figure's labels): ``font``, or an
    Asian font that has every CJK character of it (and Latin letters too)."""
    if _plain(text):
        return font
    preferred = _preferred(text)
    chars = [c for c in text if is_cjk(c)]
    whole = next((f for f in (preferred, *CODECS) if all(has_glyph(f, c) for c in chars)),
                 preferred)
    return _registered(whole)
