"""The report's fonts: DejaVu Sans, and for Chinese, Japanese and Korean text the Asian
fonts every PDF reader knows by name.

DejaVu Sans (shipped with matplotlib, embedded in the PDF) covers Latin, Greek,
Cyrillic and the report's symbols (χ², ±, ≥, –, ·), but no Chinese, Japanese or Korean:
a study defined in those languages (its title, arm labels, site names, reasons, timepoint
labels) came out as empty boxes, and as nothing when the text was copied or searched.
Runs of such text are set in one of ReportLab's CID fonts, the Adobe Asian fonts of the
PDF standard: not embedded, the reader supplies the glyphs (Acrobat, Chrome, Firefox,
Preview do; poppler with a CJK font installed), and the text stays text, selectable,
searchable and extractable. The font follows the text's script: Korean where it holds
Hangul, Japanese where it holds kana, else Simplified Chinese.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
JAPANESE, KOREAN, CHINESE = "HeiseiKakuGo-W5", "HYGothic-Medium", "STSong-Light"
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


def asian_font(text: str) -> str:
    """The CID font for the Chinese, Japanese or Korean runs of ``text`` (registered)."""
    codes = [ord(c) for c in text]
    if any(_within(c, HANGUL) for c in codes):
        name = KOREAN
    elif any(_within(c, KANA) for c in codes):
        name = JAPANESE
    else:
        name = CHINESE
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


def markup(text: str) -> str:
    """``text`` as Paragraph markup: escaped, its CJK runs in the Asian font."""
    if text.isascii() or not any(is_cjk(c) for c in text):
        return escape(text)
    font = asian_font(text)
    out, run, in_cjk = [], "", False
    for char in text:
        if is_cjk(char) != in_cjk and run:
            out.append(f'<font name="{font}">{escape(run)}</font>' if in_cjk else escape(run))
            run = ""
        in_cjk = is_cjk(char)
        run += char
    if run:
        out.append(f'<font name="{font}">{escape(run)}</font>' if in_cjk else escape(run))
    return "".join(out)


def font_for(text: str, font: str) -> str:
    """The font to draw ``text`` in as one string (a figure's labels): ``font``, or the
    Asian font if it holds Chinese, Japanese or Korean (whose Latin letters it also has)."""
    if text.isascii() or not any(is_cjk(c) for c in text):
        return font
    return asian_font(text)
