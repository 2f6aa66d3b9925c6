"""The in-place patcher (``files.sheetxml``, ``files.package``) on valid OOXML as other tools write it.

Sheet XML arriving in chunks split anywhere, the fast path (every cell has ``r="..."`` first) and
the slow path agreeing, prefixed and strict sheets, shared formulas, cells without ``r``/``s``,
hostile text read back by calamine and by LibreOffice, the 1904 date system, filters in table
parts, calcChain.xml, and untouched parts copied as their stored bytes.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xlsxwriter
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from ims_xl.core.problems import InputError
from ims_xl.files import sheetxml
from ims_xl.files.package import rewrite_package
from ims_xl.files.sheetxml import PatchOutcome, SheetEdit, SheetXmlNotSupported, patch_sheet, patch_sheet_chunks

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
SHEET = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
    '<sheetPr filterMode="1"/><dimension ref="A1:D6"/><cols><col min="2" max="2" width="9" style="4"/></cols>'
    '<sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    '<row r="2" hidden="1"><c r="A2" s="2"><v>5</v></c><c r="B2" t="str"><f t="shared" ref="B2:B4" si="0">A2*2</f>'
    '<v>10</v></c><c r="D2" t="inlineStr"><is><t>keep</t></is></c></row>'
    '<row r="3" hidden="1"><c r="A3"><v>6</v></c><c r="B3"><f t="shared" si="0"/><v>12</v></c></row>'
    '<row r="4"><c r="A4"><v>7</v></c><c r="B4"><f t="shared" si="0"/><v>14</v></c></row>'
    '<row r="6"/>'
    '</sheetData><autoFilter ref="A1:B4"><filterColumn colId="0"><filters><filter val="5"/></filters>'
    '</filterColumn></autoFilter><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
    'footer="0.3"/></worksheet>').encode()


def an_edit() -> SheetEdit:
    edit = SheetEdit(clear_filter=True)
    edit.set(2, 2, "replaces the master")  # the shared formula's master
    edit.set(2, 3, 3)  # a new cell between B2 and D2
    edit.set(3, 1, None)  # blanked
    edit.set(5, 1, date(2025, 10, 4))  # a row the XML lacks
    edit.set(6, 2, "into a self-closing row")
    edit.set(8, 1, "below every row")
    return edit


def cells_of(xml: bytes) -> dict[str, dict[str, Any]]:
    """Every cell by its reference (positions of cells without r worked out as a reader does)."""
    root = ElementTree.fromstring(xml)
    namespace = root.tag[:root.tag.index("}") + 1]
    found: dict[str, dict[str, Any]] = {}
    previous_row = 0
    for row in root.iter(f"{namespace}row"):
        number = int(row.get("r") or previous_row + 1)
        previous_row, previous_column = number, 0
        for cell in row.findall(f"{namespace}c"):
            reference = cell.get("r")
            column = sheetxml.column_number(re.sub(r"\d", "", reference)) if reference else previous_column + 1
            previous_column = column
            formula = cell.find(f"{namespace}f")
            text = "".join(cell.itertext())
            found[f"{sheetxml.column_letter(column)}{number}"] = {
                "s": cell.get("s"), "t": cell.get("t"), "text": text,
                "f": None if formula is None else (formula.text, dict(formula.attrib))}
    return found


# --- streaming ---------------------------------------------------------------------------------


def test_a_sheet_split_at_every_byte_offset_patches_the_same() -> None:
    whole = patch_sheet(SHEET, an_edit())
    for offset in range(1, len(SHEET)):
        pieces = [SHEET[:offset], SHEET[offset:]]
        assert b"".join(patch_sheet_chunks(pieces, an_edit())) == whole, offset
    for size in (1, 2, 7, 64):  # many small chunks too
        pieces = [SHEET[i:i + size] for i in range(0, len(SHEET), size)]
        assert b"".join(patch_sheet_chunks(pieces, an_edit())) == whole, size


def test_an_autofilter_larger_than_any_chunk_straddling_a_boundary_loses_its_criteria() -> None:
    values = "".join(f'<filter val="value {i}"/>' for i in range(6000))  # ~130 KB of criteria
    xml = SHEET.replace(b'<filter val="5"/>', values.encode())
    start = xml.index(b"<autoFilter")
    for offset in (start + 1, start + 70_000, xml.index(b"</autoFilter>") + 3):
        pieces = [xml[i:i + 65536] for i in range(0, offset, 65536)] + [xml[offset:]]
        patched = b"".join(patch_sheet_chunks([p for p in pieces if p], an_edit()))
        assert b'<autoFilter ref="A1:B4"/>' in patched and b"filterColumn" not in patched
        assert b"hidden" not in patched and b"filterMode" not in patched


def test_clearing_filters_shows_every_hidden_row_and_keeps_the_filter_arrows() -> None:
    patched = patch_sheet(SHEET, an_edit())
    assert b'hidden="1"' not in patched and b'<autoFilter ref="A1:B4"/>' in patched
    edit = an_edit()
    edit.clear_filter = False
    assert patch_sheet(SHEET, edit).count(b'hidden="1"') == 2


def test_the_fast_path_and_the_slow_path_agree() -> None:
    row = (b'<c r="A7" s="2"><v>1</v></c><c r="B7" t="inlineStr"><is><t>b</t></is></c><c r="E7" t="s"><v>3</v></c>'
           b'<c r="H7"><f>A7+1</f><v>2</v></c>')
    values = {1: "new A", 2: None, 3: 12.5, 5: None, 6: date(2025, 1, 2), 8: "over a formula", 9: "after all"}
    fast = sheetxml._patch_row(row, 7, values, sheetxml._Context({6: 9}, False, PatchOutcome()))
    slow = sheetxml._patch_row_slowly(row, 7, values, sheetxml._Context({6: 9}, False, PatchOutcome()))
    assert fast == slow
    # Cells whose attributes come in another order take the slow path and give the same cells.
    reordered = row.replace(b'<c r="A7" s="2">', b'<c s="2" r="A7">')
    wrapped = f'<worksheet xmlns="{MAIN}"><sheetData><row r="7">'.encode() + b"%s</row></sheetData></worksheet>"
    edit = SheetEdit(cells={7: dict(values)})
    assert cells_of(patch_sheet(wrapped % reordered, edit)) == cells_of(patch_sheet(wrapped % row, edit))


# --- sheets as other tools write them -------------------------------------------------------------


def test_cells_without_r_or_s_keep_their_places_when_one_is_blanked() -> None:
    xml = (f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="inlineStr"><is><t>A</t></is></c><c><v>2</v></c>'
           '<c t="inlineStr"><is><t>C</t></is></c><c><v>4</v></c></row></sheetData></worksheet>').encode()
    edit = SheetEdit()
    edit.set(1, 2, None)
    edit.set(1, 4, "D new")
    cells = cells_of(patch_sheet(xml, edit))
    assert cells["A1"]["text"] == "A" and cells["C1"]["text"] == "C" and cells["D1"]["text"] == "D new"
    assert cells["B1"]["text"] == ""


def test_a_strict_sheet_is_patched_like_a_transitional_one() -> None:
    strict = SHEET.replace(MAIN.encode(), STRICT.encode())
    assert patch_sheet(strict, an_edit()) == patch_sheet(SHEET, an_edit()).replace(MAIN.encode(), STRICT.encode())


def prefixed(xml: bytes) -> bytes:
    """The sheet as the Open XML SDK writes it: every element with the prefix x:."""
    xml = re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", xml.split(b"?>", 1)[1])
    return xml.replace(b'xmlns="', b'xmlns:x="')


def test_a_prefixed_sheet_is_refused_with_its_own_error() -> None:
    with pytest.raises(SheetXmlNotSupported, match="namespace prefix"):
        patch_sheet(prefixed(SHEET), an_edit())
    pieces = [prefixed(SHEET)[i:i + 5] for i in range(0, len(prefixed(SHEET)), 5)]
    with pytest.raises(SheetXmlNotSupported, match="namespace prefix"):
        b"".join(patch_sheet_chunks(pieces, an_edit()))


def test_a_prefixed_section_sheet_is_one_line_naming_the_sheet(sample_xlsx: Path) -> None:
    from tests.test_cli import run

    part = "xl/worksheets/sheet2.xml"  # B2B
    _replace_part(sample_xlsx, part, prefixed(_read_part(sample_xlsx, part)))
    before = sample_xlsx.read_bytes()
    code, _, err = run("validate", str(sample_xlsx))
    assert code == 2, err
    assert "sheet B2B cannot be written in place" in err and err.rstrip().endswith("[sheet-xml-not-supported]")
    assert sample_xlsx.read_bytes() == before  # nothing half-written


# --- formulas --------------------------------------------------------------------------------------


def test_a_replaced_shared_master_hands_its_formula_to_the_next_cell_translated() -> None:
    outcome = PatchOutcome()
    cells = cells_of(patch_sheet(SHEET, an_edit(), outcome=outcome))
    assert outcome.formula_replaced
    assert cells["B2"]["f"] is None and cells["B2"]["text"] == "replaces the master"
    assert cells["B3"]["f"] == ("A3*2", {"t": "shared", "ref": "B3:B4", "si": "0"})
    assert cells["B4"]["f"] == (None, {"t": "shared", "si": "0"})


def test_when_the_next_cells_are_replaced_too_the_first_one_left_takes_the_formula() -> None:
    edit = SheetEdit()
    edit.set(2, 2, "x")
    edit.set(3, 2, "y")
    cells = cells_of(patch_sheet(SHEET.replace(b"A2*2", b"$A$1+A2*2+SUM(A2:A3)"), edit))
    assert cells["B3"]["f"] is None
    assert cells["B4"]["f"] == ("$A$1+A4*2+SUM(A4:A5)", {"t": "shared", "ref": "B4:B4", "si": "0"})


def test_replacing_cells_without_formulas_reports_none() -> None:
    outcome = PatchOutcome()
    edit = SheetEdit()
    edit.set(4, 1, 8)
    patch_sheet(SHEET, edit, outcome=outcome)
    assert not outcome.formula_replaced


# --- text, dates ---------------------------------------------------------------------------------


def test_text_is_written_as_excel_writes_it() -> None:
    assert sheetxml.xml_text("a\r\nb") == "a_x000D_\nb"
    assert sheetxml.xml_text("_x0041_") == "_x005F_x0041_"
    assert sheetxml.xml_text("bell\x07 <&>") == "bell_x0007_ &lt;&amp;&gt;"


# Pieces of text: CR, tabs, edge spaces, what looks like Excel's escapes, astral and control characters.
HOSTILE = st.lists(st.one_of(
    st.sampled_from(["\r", "\n", "\r\n", "\t", " ", "_x0041_", "_x000D_", "_x005F_", "\U0001F600", "\u0301",
                     "&<>\"'"]),
    st.characters(min_codepoint=1, max_codepoint=0x1F),
    st.characters(blacklist_categories=("Cs",)),
), min_size=1, max_size=12).map("".join)


def plain_book(path: Path, *, date1904: bool = False) -> Path:
    book = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    book.add_worksheet("S").write("A1", "header")
    book.close()
    return path


def written_and_read_back(folder: Path, texts: list[str]) -> list[Any]:
    source, target = plain_book(folder / "plain.xlsx"), folder / "patched.xlsx"
    edit = SheetEdit()
    for row, text in enumerate(texts, start=2):
        edit.set(row, 1, text)
    rewrite_package(source, target, {"S": edit})
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_name("S").to_python()
    return [cells[0] for cells in rows[1:]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(HOSTILE, min_size=1, max_size=8))
def test_hostile_text_reads_back_unchanged_in_calamine(tmp_path: Path, texts: list[str]) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis runs many examples in one tmp_path
    assert written_and_read_back(folder, texts) == texts


@pytest.mark.libreoffice
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.generate])  # a LibreOffice run per example: no slow shrinking
@given(texts=st.lists(HOSTILE, min_size=20, max_size=20))
def test_hostile_text_reads_back_unchanged_in_libreoffice(tmp_path: Path, texts: list[str]) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis runs many examples in one tmp_path
    source, target = plain_book(folder / "plain.xlsx"), folder / "patched.xlsx"
    edit = SheetEdit()
    for row, text in enumerate(texts, start=2):
        edit.set(row, 1, text)
    rewrite_package(source, target, {"S": edit})
    saved = saved_by_libreoffice(soffice, target, folder)
    rows = CalamineWorkbook.from_path(str(saved)).get_sheet_by_name("S").to_python()
    # LibreOffice keeps line breaks its own way (CR LF becomes LF, runs of CR and LF merge): every
    # other character must come back as written (calamine's test above compares CR and LF too).
    assert [_without_breaks(cells[0]) for cells in rows[1:]] == [_without_breaks(text) for text in texts]


def _without_breaks(text: str) -> str:
    return text.replace("\r", "").replace("\n", "")


def saved_by_libreoffice(soffice: str, book: Path, folder: Path) -> Path:
    out = folder / "libreoffice"
    subprocess.run([soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(book)],
                   check=True, capture_output=True, timeout=180, env={"HOME": str(folder), "PATH": "/usr/bin:/bin"})
    return out / book.name


@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_dates_land_on_their_day_in_either_date_system(tmp_path: Path, date1904: bool) -> None:
    source, target = plain_book(tmp_path / "plain.xlsx", date1904=date1904), tmp_path / "patched.xlsx"
    edit = SheetEdit()
    edit.set(2, 1, date(2025, 10, 4))
    rewrite_package(source, target, {"S": edit})
    serial = 45934 - (1462 if date1904 else 0)
    assert f"<v>{serial}</v>".encode() in _read_part(target, "xl/worksheets/sheet1.xml")


# --- the package ---------------------------------------------------------------------------------


def _read_part(book: Path, name: str) -> bytes:
    with zipfile.ZipFile(book) as archive:
        return archive.read(name)


def _replace_part(book: Path, name: str, data: bytes, *, add: dict[str, bytes] | None = None) -> None:
    copy = book.with_suffix(".tmp")
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, data if info.filename == name else source.read(info.filename))
        for extra, content in (add or {}).items():
            out.writestr(extra, content)
    copy.replace(book)


def stored_bytes(book: Path) -> dict[str, bytes]:
    """Each part's compressed bytes as they lie in the zip."""
    found = {}
    with zipfile.ZipFile(book) as archive, book.open("rb") as raw:
        for info in archive.infolist():
            raw.seek(info.header_offset)
            header = raw.read(30)
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            raw.seek(info.header_offset + 30 + name_length + extra_length)
            found[info.filename] = raw.read(info.compress_size)
    return found


def test_untouched_parts_are_copied_as_their_stored_bytes(tmp_path: Path) -> None:
    source, target = tmp_path / "source.xlsx", tmp_path / "target.xlsx"
    book = xlsxwriter.Workbook(str(source))
    for name in ("S", "Other"):
        book.add_worksheet(name).write("A1", name * 300)
    book.close()
    # Deflated at another level than the patcher uses: copying as stored keeps these bytes exactly.
    recompressed = tmp_path / "recompressed.xlsx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(recompressed, "w", zipfile.ZIP_DEFLATED,
                                                             compresslevel=9) as out:
        for info in archive.infolist():
            out.writestr(info.filename, archive.read(info.filename))
    edit = SheetEdit()
    edit.set(2, 1, "patched")
    rewrite_package(recompressed, target, {"S": edit})
    before, after = stored_bytes(recompressed), stored_bytes(target)
    assert set(before) == set(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"xl/worksheets/sheet1.xml"}
    assert CalamineWorkbook.from_path(str(target)).get_sheet_by_name("S").to_python()[1][0] == "patched"
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None


CALC_CHAIN = f'<calcChain xmlns="{MAIN}"><c r="B2" i="1"/><c r="B3"/></calcChain>'.encode()


def book_with_calc_chain(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("S")
    sheet.write("A2", 5)
    sheet.write_formula("B2", "=A2*2", None, 10)
    sheet.write("C2", "text")
    book.close()
    types = _read_part(path, "[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.calcChain+xml"/></Types>')
    _replace_part(path, "[Content_Types].xml", types, add={"xl/calcChain.xml": CALC_CHAIN})
    rels = _read_part(path, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
                             b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    _replace_part(path, "xl/_rels/workbook.xml.rels", rels)
    return path


def test_calc_chain_goes_with_its_content_type_and_relationship_when_a_formula_cell_is_replaced(
        tmp_path: Path) -> None:
    source, target = book_with_calc_chain(tmp_path / "source.xlsx"), tmp_path / "target.xlsx"
    edit = SheetEdit()
    edit.set(2, 2, "no longer a formula")
    rewrite_package(source, target, {"S": edit})
    with zipfile.ZipFile(target) as archive:
        assert "xl/calcChain.xml" not in archive.namelist()
        assert b"calcChain" not in archive.read("[Content_Types].xml")
        assert b"calcChain" not in archive.read("xl/_rels/workbook.xml.rels")
    assert CalamineWorkbook.from_path(str(target)).get_sheet_by_name("S").to_python(skip_empty_area=False)[1][1] == (
        "no longer a formula")


def test_calc_chain_stays_as_stored_when_no_formula_cell_is_replaced(tmp_path: Path) -> None:
    source, target = book_with_calc_chain(tmp_path / "source.xlsx"), tmp_path / "target.xlsx"
    edit = SheetEdit()
    edit.set(2, 3, "another text")
    rewrite_package(source, target, {"S": edit})
    before, after = stored_bytes(source), stored_bytes(target)
    for name in ("xl/calcChain.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
        assert after[name] == before[name], name


def test_clearing_filters_clears_the_criteria_of_the_sheets_tables(tmp_path: Path) -> None:
    source, target = tmp_path / "source.xlsx", tmp_path / "target.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("S")
    sheet.add_table("A1:B4", {"data": [["a", 1], ["b", 2], ["c", 3]], "columns": [{"header": "K"}, {"header": "V"}]})
    sheet.set_row(2, None, None, {"hidden": True})
    book.close()
    table = _read_part(source, "xl/tables/table1.xml")
    filtered = re.sub(rb'<autoFilter ref="([^"]+)"/>', rb'<autoFilter ref="\1"><filterColumn colId="0"><filters>'
                      rb'<filter val="a"/></filters></filterColumn></autoFilter>', table)
    assert filtered != table
    _replace_part(source, "xl/tables/table1.xml", filtered)
    edit = SheetEdit(clear_filter=True)
    edit.set(2, 3, "x")
    rewrite_package(source, target, {"S": edit})
    assert b"filterColumn" not in _read_part(target, "xl/tables/table1.xml")
    assert b"<autoFilter" in _read_part(target, "xl/tables/table1.xml")
    assert b'hidden="1"' not in _read_part(target, "xl/worksheets/sheet1.xml")


def test_a_sheet_without_sheet_data_is_refused_not_a_crash(tmp_path: Path) -> None:
    source, target = plain_book(tmp_path / "plain.xlsx"), tmp_path / "target.xlsx"
    _replace_part(source, "xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"/>'.encode())
    edit = SheetEdit()
    edit.set(1, 1, "x")
    with pytest.raises(InputError) as refused:
        rewrite_package(source, target, {"S": edit})
    assert refused.value.code == "sheet-xml-not-supported"


# --- a filled-down Status formula through refresh and reconcile --apply, in LibreOffice ------------


def with_filled_down_status(book: Path) -> None:
    """B2B's Status as a user who fills a formula down leaves it, as Excel stores it (a shared
    formula: a master on row 5, children below) over a column of their own, with a calcChain."""
    from ims_xl.core.sections import BY_KEY, FIRST_DATA_ROW
    from ims_xl.files.package import Package

    b2b = BY_KEY["b2b"]
    status = sheetxml.column_letter(b2b.index("status") + 1)
    mine = sheetxml.column_letter(len(b2b.columns) + 2)  # the user's column, right of the table
    with Package(book) as package:
        part = package.sheet_parts["B2B"]
        xml = package.read(part)
    last = FIRST_DATA_ROW + 3
    for row, shown in zip(range(FIRST_DATA_ROW, last + 1), ("No Action", "No Action", "Accept", "Pending"),
                          strict=True):
        formula = (f'<f t="shared" ref="{status}{FIRST_DATA_ROW}:{status}{last}" si="0">{mine}{row}</f>'
                   if row == FIRST_DATA_ROW else '<f t="shared" si="0"/>')
        xml, count = re.subn(rf'<c r="{status}{row}"( s="\d+")? t="inlineStr">.*?</c>'.encode(),
                             rf'<c r="{status}{row}"\1 t="str">{formula}<v>{shown}</v></c>'.encode(), xml)
        assert count == 1
        xml = re.sub(rf'(<row r="{row}"[^>]*>.*?)</row>'.encode(),
                     rf'\1<c r="{mine}{row}" t="inlineStr"><is><t>{shown}</t></is></c></row>'.encode(), xml, count=1,
                     flags=re.S)
    chain = "".join(f'<c r="{status}{row}" i="2"/>' for row in range(FIRST_DATA_ROW, last + 1))
    _replace_part(book, part, xml, add={"xl/calcChain.xml": f'<calcChain xmlns="{MAIN}">{chain}</calcChain>'.encode()})
    types = _read_part(book, "[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.calcChain+xml"/></Types>')
    _replace_part(book, "[Content_Types].xml", types)
    rels = _read_part(book, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
                             b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    _replace_part(book, "xl/_rels/workbook.xml.rels", rels)


def statuses_in_libreoffice(soffice: str, book: Path, folder: Path) -> dict[str, Any]:
    """B2B's Status by document number, as LibreOffice shows the book (and saves it)."""
    from ims_xl.core.sections import BY_KEY, FIRST_DATA_ROW

    folder.mkdir()
    saved = saved_by_libreoffice(soffice, book, folder)
    rows = CalamineWorkbook.from_path(str(saved)).get_sheet_by_name("B2B").to_python(skip_empty_area=False)
    b2b = BY_KEY["b2b"]
    return {cells[b2b.index("number")]: cells[b2b.index("status")] for cells in rows[FIRST_DATA_ROW - 1:]
            if cells[b2b.index("number")] not in ("", None)}


@pytest.mark.libreoffice
def test_a_filled_down_status_formula_survives_refresh_and_reconcile_apply(sample_xlsx: Path, tmp_path: Path) -> None:
    from decimal import Decimal

    from ims_xl.core import jsonio
    from ims_xl.files.fileport import FilePort
    from tests.conftest import SAMPLE
    from tests.test_cli import run

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    with_filled_down_status(sample_xlsx)
    before = {"SGT/2025/0417": "No Action", "000123": "No Action", "2025260000004512": "Accept", "HL-9981": "Pending"}
    assert statuses_in_libreoffice(soffice, sample_xlsx, tmp_path / "start") == before

    newer = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    b2b = newer["imsDetails"]["b2b"]
    first = b2b.pop(0)  # SGT/2025/0417 leaves the portal: its row (the formula's master) is blanked
    b2b[1]["txval"], b2b[1]["iamt"] = Decimal("12000.42"), Decimal("2160.08")  # a supplier edit: Status stays Accept
    b2b.append(dict(first, inum="SGT/2025/0501", idt="30-10-2025"))
    download = tmp_path / "newer.json"
    download.write_text(jsonio.dumps(newer), encoding="utf-8")
    code, _, err = run("-q", "refresh", sample_xlsx, download)
    assert code == 0, err
    with zipfile.ZipFile(sample_xlsx) as archive:
        assert "xl/calcChain.xml" not in archive.namelist()
    after_refresh = statuses_in_libreoffice(soffice, sample_xlsx, tmp_path / "refreshed")
    assert after_refresh == {**{k: v for k, v in before.items() if k != "SGT/2025/0417"}, "SGT/2025/0501": "No Action"}

    register = tmp_path / "register.csv"
    register.write_text("Supplier GSTIN,Document Number,Document Date,Document Type,Taxable Value,IGST,CGST,SGST,Cess\n"
                        "07AAACH7409R1Z3,HL-9981,20-10-2025,Invoice,20000,3600,0,0,0\n", encoding="utf-8")
    code, _, err = run("-q", "reconcile", sample_xlsx, register, "--apply")
    assert code == 0, err
    state = FilePort(sample_xlsx).load()
    applied = {entry.record.number for entry in state.entries["b2b"]
               if entry.status != after_refresh[entry.record.number]}
    assert "HL-9981" in applied and "2025260000004512" not in applied
    shown = statuses_in_libreoffice(soffice, sample_xlsx, tmp_path / "reconciled")
    assert shown == {number: entry.status for number, entry in
                     ((e.record.number, e) for e in state.entries["b2b"])}
    for number, status in after_refresh.items():  # every row the command did not have to change is as before
        if number not in applied:
            assert shown[number] == status, number
    # The rows the commands left alone still hold the user's formula, moved to its new master.
    import openpyxl

    from ims_xl.core.sections import BY_KEY

    columns = BY_KEY["b2b"].columns
    mine, status = sheetxml.column_letter(len(columns) + 2), BY_KEY["b2b"].index("status") + 1
    sheet = openpyxl.load_workbook(sample_xlsx)["B2B"]
    rows = {sheet.cell(row, 3).value: row for row in range(5, 10)}
    edited = rows["2025260000004512"]  # the supplier's edit kept Accept: its formula stays, now the master
    assert sheet.cell(edited, status).value == f"={mine}{edited}"
    for number in applied:
        assert not str(sheet.cell(rows[number], status).value).startswith("="), number
    # LibreOffice's own save keeps every decision: the book it wrote reads back with the same statuses.
    saved = tmp_path / "reconciled" / "libreoffice" / sample_xlsx.name
    assert {e.record.number: e.status for e in FilePort(saved).load().entries["b2b"]} == shown
