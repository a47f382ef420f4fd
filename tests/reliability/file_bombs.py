"""Hostile uploads, built byte by byte: XLSX workbooks and CSV files small on the wire and huge once read.

Each builder returns a `Bomb`: the file, and the words the bot's refusal must contain (the limit it names). The
hypothesis strategy `bombs()` draws every kind with generated sizes and positions, so the suite tries more than the
cases first reported (issue 12, finding 2).
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from connectors.files.limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_TEXT_BYTES,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_MEMBERS,
    mb,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XFD = 16_384  # Excel's last column


@dataclass(frozen=True)
class Bomb:
    kind: str
    filename: str
    data: bytes
    refusal: tuple[str, ...]  # the answer contains one of these

    def __repr__(self) -> str:
        return f"Bomb({self.kind}, {len(self.data):,} bytes)"


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook(
    sheet_xml: bytes, *, shared_strings: bytes | None = None, extra: int = 0, strings_name: str = "sharedStrings.xml"
) -> bytes:
    """A minimal XLSX (what Excel needs and openpyxl reads) around one worksheet part, deflated at level 9."""
    overrides = [
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>',
    ]
    relations = [f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>']
    if shared_strings is not None:
        overrides.append(
            f'<Override PartName="/xl/{strings_name}" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        relations.append(f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="{strings_name}"/>')
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(relations)
            + "</Relationships>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_strings is not None:
            archive.writestr(f"xl/{strings_name}", shared_strings)
        for number in range(extra):
            archive.writestr(f"xl/media/padding{number}.xml", "<a/>")
    return buffer.getvalue()


def sheet(rows_xml: bytes, *, dimension: str = "A1:A1", before_data: bytes = b"") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><dimension ref="{dimension}"/>'.encode()
        + before_data
        + b"<sheetData>"
        + rows_xml
        + b"</sheetData></worksheet>"
    )


def text_row(row: int, column: int = 1, text: str = "x") -> bytes:
    return (
        f'<row r="{row}"><c r="{column_letters(column)}{row}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()
    )


# --- the kinds ---------------------------------------------------------------------------------------------------

ROWS_REFUSAL = (f"more than {MAX_ROWS:,} rows",)
CELLS_REFUSAL = (f"more than {MAX_CELLS:,} cells",)
UNPACKED_REFUSAL = (f"unpacks to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB",)


def wide_dimension(last_row: int = 250_000) -> Bomb:
    """The reported case: a few rows under a declared `A1:XFD<last_row>` (openpyxl pads every row to XFD)."""
    rows = text_row(1) + text_row(last_row)
    data = workbook(sheet(rows, dimension=f"A1:XFD{last_row}"))
    refusal = ROWS_REFUSAL if last_row > MAX_ROWS + 20 else ("I don't recognise this file",)
    return Bomb("wide dimension", "wide.xlsx", data, refusal)


def wide_row(column: int = XFD, rows: int = 1) -> Bomb:
    """Cells really written far to the right: each such row is `column` cells wide."""
    body = b"".join(text_row(1 + n, 1) + text_row(2 + n + rows, column) for n in range(rows))
    return Bomb("wide row", "wide-row.xlsx", workbook(sheet(body)), (f"reads up to {MAX_COLUMNS} columns",))


def shared_strings(count: int = MAX_CELLS + 1, text: str = "", name: str = "sharedStrings.xml") -> Bomb:
    """A shared-string table of `count` entries: ~13 bytes of XML each, ~100 bytes of Python each in openpyxl;
    `name` is the part's name, which only the workbook's relationships tie to its role."""
    entry = f"<si><t>{text}</t></si>".encode() if text else b"<si><t/></si>"
    table = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{count}" uniqueCount="{count}">'
    strings = table.encode() + entry * count + b"</sst>"
    body = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    data = workbook(sheet(body), shared_strings=strings, strings_name=name)
    return Bomb("shared strings" + ("" if name == "sharedStrings.xml" else f" in {name}"), "strings.xlsx", data,
                CELLS_REFUSAL + UNPACKED_REFUSAL)  # fmt: skip  # a big table may pass 200 MB first


def repeated_long_string(cells: int = 15_000, length: int = 32_767) -> Bomb:
    """One shared string of `length` characters (Excel's longest cell) referenced by `cells` cells, 20 a row: a few
    KB on the wire, `cells * length` characters once read. 15,000 cells (40 KB, 490 MB of text) is the worst case
    for the bot: the worker still answers (at 30,000 its memory cap stops it first) and the bot buffered and parsed
    the whole answer (1.4 GB resident before the fix)."""
    table = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{cells}" uniqueCount="1">'
    strings = table.encode() + b"<si><t>" + b"x" * length + b"</t></si></sst>"
    width = 20
    body = b"".join(
        b'<row r="%d">' % row
        + b"".join(
            f'<c r="{column_letters(column)}{row}" t="s"><v>0</v></c>'.encode()
            for column in range(1, min(width, cells - (row - 1) * width) + 1)
        )
        + b"</row>"
        for row in range(1, -(-cells // width) + 1)
    )
    data = workbook(sheet(body), shared_strings=strings)
    return Bomb("one long string in many cells", "long-string.xlsx", data, (f"more than {mb(MAX_TEXT_BYTES)} of text",))


def renamed_shared_strings() -> Bomb:
    return shared_strings(name="media/image1.png")


def unpacked_sheet(megabytes: int = MAX_UNZIPPED_BYTES // (1024 * 1024) + 10) -> Bomb:
    """A worksheet part of `megabytes` of whitespace: compresses about 1,000 to 1."""
    body = text_row(1) + b" " * (megabytes * 1024 * 1024)
    return Bomb("zip bomb of a sheet", "bomb.xlsx", workbook(sheet(body)), UNPACKED_REFUSAL)


def lying_sizes(megabytes: int = 50) -> Bomb:
    """A worksheet part whose ZIP headers declare 100 bytes: the reader must count what it inflates, not trust."""
    body = text_row(1) + b" " * (megabytes * 1024 * 1024)
    data = bytearray(workbook(sheet(body)))
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at : start + name_at + len(name)] == name:
                struct.pack_into("<I", data, start + size_at, 100)
            start += 4
    return Bomb("lying zip sizes", "liar.xlsx", bytes(data), ("damaged", "ZIP archive"))


def many_rows_workbook(rows: int = MAX_ROWS + 100) -> Bomb:
    body = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(1, rows + 1))
    return Bomb("many rows (xlsx)", "rows.xlsx", workbook(sheet(body)), ROWS_REFUSAL)


def many_rows_csv(rows: int = MAX_ROWS + 100) -> Bomb:
    return Bomb("many rows (csv)", "rows.csv", b"a\n" + b"1\n" * rows, ROWS_REFUSAL)


def huge_csv_cell(megabytes: int = 19) -> Bomb:
    data = b"Date,Pair\n" + b"x" * (megabytes * 1024 * 1024) + b",y\n"
    return Bomb("huge csv line (one cell)", "line.csv", data, ("longer than 131,072 characters",))


def huge_csv_row(cells: int = 3_000_000) -> Bomb:
    return Bomb("huge csv line (many cells)", "cells.csv", b"Date\n" + b"1," * cells + b"1\n", ("columns wide",))


def empty_csv_cells(cells: int = MAX_CELLS + 10) -> Bomb:
    """Lines of empty cells only: no column is used, every cell is read."""
    per_line = 10_000
    data = b"Date\n" + (b"," * per_line + b"\n") * (cells // per_line + 1)
    return Bomb("empty csv cells", "empty-cells.csv", data, CELLS_REFUSAL)


def nested_xml(depth: int = 200_000) -> Bomb:
    """Elements nested `depth` deep inside the sheet data, where openpyxl keeps every unknown element."""
    body = b"<a>" * depth + b"</a>" * depth + text_row(1)
    return Bomb("deeply nested xml", "nested.xlsx", workbook(sheet(body)), ("I don't recognise this file",))


def element_flood(count: int = 40_000_000) -> Bomb:
    """`count` empty elements openpyxl never clears: past the worker's memory cap, not any counted limit."""
    body = b"<a/>" * count + text_row(1)
    return Bomb("element flood", "flood.xlsx", workbook(sheet(body)), ("of memory", "seconds"))


def entity_expansion(levels: int = 9) -> Bomb:
    """A billion-laughs DTD in the worksheet part."""
    entities = '<!ENTITY e0 "lol">' + "".join(
        f'<!ENTITY e{n} "{("&e" + str(n - 1) + ";") * 10}">' for n in range(1, levels + 1)
    )
    head = f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
    xml = head.encode() + sheet(text_row(1, 1, f"&e{levels};")).split(b"?>", 1)[1]
    return Bomb("entity expansion", "laughs.xlsx", workbook(xml), ("DTD",))


def many_members(count: int = MAX_ZIP_MEMBERS + 5) -> Bomb:
    return Bomb("many zip members", "members.xlsx", workbook(sheet(text_row(1)), extra=count), ("files;",))


EVERY_KIND = (
    wide_dimension,
    wide_row,
    shared_strings,
    renamed_shared_strings,
    repeated_long_string,
    unpacked_sheet,
    lying_sizes,
    many_rows_workbook,
    many_rows_csv,
    huge_csv_cell,
    huge_csv_row,
    empty_csv_cells,
    nested_xml,
    element_flood,
    entity_expansion,
    many_members,
)


Builder = Callable[[], Bomb]


@st.composite
def bombs(draw: st.DrawFn) -> Builder:
    """A bomb of any kind with drawn sizes, each just past the limit it attacks or far past it; built when called
    (so a run keeps one bomb in memory at a time). The two slow floods are run as fixed cases only."""
    slow_or_fixed = (nested_xml, element_flood, renamed_shared_strings)  # drawn as shared_strings with a name
    kind = draw(st.sampled_from([k for k in EVERY_KIND if k not in slow_or_fixed]))
    arguments: tuple[object, ...] = ()
    if kind is wide_dimension:
        arguments = (draw(st.integers(MAX_ROWS + 21, 1_048_576)),)
    elif kind is wide_row:
        arguments = (draw(st.integers(MAX_COLUMNS + 1, XFD)), draw(st.integers(1, 50)))
    elif kind is shared_strings:
        arguments = (
            draw(st.integers(MAX_CELLS + 1, 3 * MAX_CELLS)),
            draw(st.sampled_from(["", "a", "é"])),
            draw(st.sampled_from(["sharedStrings.xml", "media/image1.png", "strings.bin"])),
        )
    elif kind is repeated_long_string:
        length = draw(st.integers(1_000, 32_767))
        arguments = (draw(st.integers(MAX_TEXT_BYTES // length + 1, 3 * (MAX_TEXT_BYTES // length))), length)
    elif kind is unpacked_sheet:
        arguments = (draw(st.integers(MAX_UNZIPPED_BYTES // (1024 * 1024) + 1, 300)),)
    elif kind is lying_sizes:
        arguments = (draw(st.integers(1, 300)),)
    elif kind is many_rows_workbook:
        arguments = (draw(st.integers(MAX_ROWS + 21, MAX_ROWS + 5_000)),)
    elif kind is many_rows_csv:
        arguments = (draw(st.integers(MAX_ROWS + 21, 2_000_000)),)
    elif kind is huge_csv_cell:
        arguments = (draw(st.integers(1, 19)),)
    elif kind is huge_csv_row:
        arguments = (draw(st.integers(MAX_COLUMNS + 1, 5_000_000)),)
    elif kind is empty_csv_cells:
        arguments = (draw(st.integers(MAX_CELLS + 1, 2 * MAX_CELLS)),)
    elif kind is entity_expansion:
        arguments = (draw(st.integers(2, 12)),)
    else:
        arguments = (draw(st.integers(MAX_ZIP_MEMBERS + 1, 3 * MAX_ZIP_MEMBERS)),)
    return functools.partial(kind, *arguments)
