"""Tables set as column blocks (`Grid`), and fitting text to a width in mm by the font's glyph
widths: the layout of the 交存通知单, where a real HTML table would cost WeasyPrint about 1 ms a
cell (30 pages a second against 8, docs/benchmarks.md)."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from documents.render import esc

# Advance widths (em) of the printable ASCII characters in Noto Sans SC; everything else there
# (Han, full-width punctuation) is 1 em or less.
_ASCII_EM = (
    0.224, 0.323, 0.474, 0.555, 0.555, 0.921, 0.68, 0.278, 0.338, 0.338, 0.467, 0.555, 0.278, 0.347, 0.278, 0.392,
    0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.278, 0.278, 0.555, 0.555, 0.555, 0.474,
    0.946, 0.608, 0.657, 0.638, 0.688, 0.589, 0.552, 0.689, 0.728, 0.293, 0.535, 0.646, 0.543, 0.812, 0.723, 0.742,
    0.633, 0.742, 0.635, 0.596, 0.599, 0.721, 0.575, 0.878, 0.573, 0.531, 0.603, 0.338, 0.392, 0.338, 0.555, 0.559,
    0.606, 0.563, 0.618, 0.51, 0.62, 0.554, 0.325, 0.564, 0.607, 0.275, 0.275, 0.552, 0.284, 0.926, 0.61, 0.606,
    0.62, 0.62, 0.388, 0.468, 0.377, 0.607, 0.521, 0.802, 0.498, 0.521, 0.475, 0.338, 0.27, 0.338, 0.555,
)


def em_width(text: str) -> float:
    """How wide a text is set in our font, in em (1 em for anything outside printable ASCII,
    which is never too little)."""
    return sum(_ASCII_EM[o - 32] if 32 <= (o := ord(ch)) < 127 else 1.0 for ch in text)


def clip(text: str, ems: float) -> str:
    """``text`` cut to fit ``ems`` em, with … where cut."""
    if em_width(text) <= ems:
        return text
    out, used = [], 1.0  # room for the …
    for ch in text:
        w = em_width(ch)
        if used + w > ems:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


MM_PER_PT = 25.4 / 72


def auto_widths(room_mm: float, columns: Sequence[float | Sequence[str]], *, font_pt: float, pad_mm: float) -> list[float]:
    """The column widths (mm, each with its padding and rules) that CSS's automatic table layout
    gives a table ``room_mm`` wide, worked out from the font's glyph widths, for a table set with
    ``table-layout: fixed`` and these widths: WeasyPrint's automatic layout measures every cell
    twice (its narrowest and widest width), a third of what a small document costs to render.
    A column is a set width (a float, padding included) or the texts of its cells. As the automatic
    layout does, the text columns get their widest text (one line, plus ``pad_mm``) and share
    what is left in proportion to that; when even that does not fit, each gives up the same share
    of the way from its widest text down to one character (cells wrap anywhere: BASE_CSS)."""
    em_mm = font_pt * MM_PER_PT
    fixed = sum(c for c in columns if isinstance(c, float | int))
    widest = {i: max((em_width(t) for t in c), default=0.0) * em_mm + pad_mm
              for i, c in enumerate(columns) if not isinstance(c, float | int)}
    room = room_mm - fixed
    if not widest:
        return [float(c) for c in columns]
    if sum(widest.values()) <= room:
        scale = room / sum(widest.values())
        wanted = {i: w * scale for i, w in widest.items()}
    else:
        narrowest = em_mm + pad_mm
        give = (room - narrowest * len(widest)) / (sum(w - narrowest for w in widest.values()) or 1.0)
        wanted = {i: narrowest + (w - narrowest) * max(give, 0.0) for i, w in widest.items()}
    return [wanted[i] if i in wanted else float(c) for i, c in enumerate(columns)]


def colgroup(widths: Sequence[float]) -> str:
    """A <colgroup> of these widths, as shares of the table's width (for ``table-layout: fixed``)."""
    total = sum(widths)
    return "<colgroup>" + "".join(f'<col style="width:{w * 100 / total:.2f}%">' for w in widths) + "</colgroup>"
MIN_SCALE = 0.7  # text too wide for its cell is set smaller, down to 70 %, then cut with …


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def fit_text(text: str, room_mm: float, font_pt: float) -> str:
    """``text`` (escaped) made to fit ``room_mm`` on one line: as it is, set smaller (a span with
    a smaller font-size, down to MIN_SCALE, and no line height of its own so that its row keeps
    its height), or at the smallest size cut with …. Line breaks and tabs in it become spaces
    (in a grid they would start a row or a column)."""
    text = _CONTROL.sub(" ", text)
    width = em_width(text) * font_pt * MM_PER_PT
    if width <= room_mm:
        return esc(text)
    if width * MIN_SCALE <= room_mm:
        return f'<span class="s" style="font-size:{int(room_mm / width * 100)}%">{esc(text)}</span>'
    cut = clip(text, room_mm / (font_pt * MM_PER_PT * MIN_SCALE))
    return f'<span class="s" style="font-size:{int(MIN_SCALE * 100)}%">{esc(cut)}</span>'


def _png_data_uri(width: int, height: int, pixels: bytes) -> str:
    """A tiny greyscale PNG (``height`` rows of ``width`` bytes) as a data: URI."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


# Backgrounds of a grid: the header row shaded (one grey pixel stretched over the first row) and
# a rule under every row (a 1 × 16 pixel tile, its last pixel dark, repeated down the grid).
_SHADE_PNG = _png_data_uri(1, 1, b"\xe6")
_RULE_PNG = _png_data_uri(1, 16, b"\xff" * 15 + b"\x70")


@dataclass(frozen=True)
class Col:
    width: float  # mm
    right: bool = False  # text-align: right
    tab: float | None = None  # mm: two sub-columns "a<TAB>b", b starting this far in
    shade_tab: bool = False  # shade the first sub-column (labels)


@dataclass(frozen=True)
class Grid:
    """A table set as column blocks: one block (a float) per column holding all its cells as
    lines of pre-formatted text, each line one row of fixed height. Nothing wraps, so the rows
    line up, and WeasyPrint lays out a few boxes with a line each per row instead of a box per
    cell (a real table costs it about 1 ms a cell). Two left-aligned columns can share a block,
    the second starting at a tab stop. Row rules and the shaded header row are the grid's
    background images."""

    name: str  # CSS class; its columns get the classes name + "c0", name + "c1", …
    font: float  # pt
    row: float  # mm, the height of every row (line-height)
    cols: tuple[Col, ...]  # of one group; groups × their widths = 182 mm
    header: bool = True  # the first row is shaded
    pad: float = 0.5  # mm, a column's left and right padding

    def css(self) -> str:
        layers = 2 if self.header else 1
        size = ", ".join([f"100% {self.row}mm"] * layers)
        images = ", ".join(([f'url("{_SHADE_PNG}")'] if self.header else []) + [f'url("{_RULE_PNG}")'])
        repeat = ", ".join((["no-repeat"] if self.header else []) + ["repeat-y"])
        out = [f".{self.name} {{ font-size: {self.font}pt; line-height: {self.row}mm; background-image: {images}; "
               f"background-repeat: {repeat}; background-size: {size}; }}",
               f".{self.name} .c {{ padding: 0 {self.pad}mm; }}"]
        for i, col in enumerate(self.cols):
            rule = f"width: {col.width}mm;"
            if col.right:
                rule += " text-align: right;"
            if col.tab:
                rule += f" tab-size: {col.tab}mm;"
            if col.shade_tab:
                rule += (f' background: url("{_SHADE_PNG}") no-repeat 0 0 / {col.tab + self.pad}mm 100%;')
            out.append(f".{self.name}c{i} {{ {rule} }}")
        # The grid's last column is 1 mm narrower: floats adding up to more than the grid's inner
        # width (its borders take some) would push the last one onto a new line.
        out.append(f".{self.name}z {{ width: {self.cols[-1].width - 1}mm; }}")
        return "\n".join(out) + "\n"

    def room(self, column: int, part: int = 0) -> float:
        """mm for the text of a column (``part`` 0 / 1: before / after its tab)."""
        col = self.cols[column]
        width = col.width - (column == len(self.cols) - 1)  # the grid's last column: 1 mm less
        if col.tab is None:
            return width - 2 * self.pad - 0.3
        return col.tab - 1.0 if part == 0 else width - col.tab - 2 * self.pad - 0.3

    def html(self, columns: Sequence[tuple[str, Sequence[str]]], rows: int, *, classes: str = "") -> str:
        """``columns``: (extra CSS classes, cells already escaped and fitted) each, top down."""
        blocks = []
        for i, (extra, cells) in enumerate(columns):
            css = f"c {self.name}c{i % len(self.cols)} {extra}".strip()
            if i == len(columns) - 1:
                css += f" {self.name}z"
            blocks.append(f'<div class="{css}">' + "\n".join(cells) + "</div>")
        return (f'<div class="grid {self.name} {classes}" style="height:{rows * self.row:.2f}mm">'
                + "".join(blocks) + "</div>")
