"""The floors: the least work each command cannot avoid, each run as its own process.

* ``floor-write``: ``json.loads(parse_float=Decimal)`` of the download plus XlsxWriter
  (``constant_memory``) writing the same cells a freshly opened book has (the same rows x columns,
  the same value types, the hidden record JSON as the book has it): open's floor;
* ``read-openpyxl``: one openpyxl ``read_only`` values pass over the book open wrote: the floor
  validate and generate are held to (the issue's: at most half of it);
* ``read-calamine``: one python-calamine pass over that book (what ims-xl reads with);
* ``minimal-write``: one inflate-and-deflate pass over its section sheets (the least an in-place
  edit of them costs).

Run as ``python benchmarks/floors.py MODE ARGS...`` (``bench.py`` does).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ims_xl.core import jsonio  # noqa: E402
from ims_xl.core.sections import ACTION_LABELS, FIRST_DATA_ROW, HEADER_ROW, SECTIONS, Kind  # noqa: E402


def _portal_date(text: str) -> date:
    return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))


_RAW_KEY = {"pending_blocked": "ispendactblocked", "remarks_blocked": "isRemarksBlocked",
            "itc_blocked": "isItcRedReqBlocked"}
_LABEL_FIELDS = ("status", "previous_status")
_ALWAYS_EMPTY = ("itc", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess", "sheet_errors", "portal_errors",
                 "suggested_action", "match_result", "refresh_note")


def floor_write(download: str, target: str) -> None:
    """Parse the download and write the same cells a freshly opened book has, and nothing else."""
    import xlsxwriter

    document = json.loads(Path(download).read_bytes().decode("utf-8-sig"), parse_float=Decimal)
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    formats = {Kind.TEXT: book.add_format({"num_format": "@"}), Kind.LABEL: book.add_format({"num_format": "@"}),
               Kind.MONEY: book.add_format({"num_format": "#,##0.00"}),
               Kind.DATE: book.add_format({"num_format": "dd-mm-yyyy"})}
    for section in SECTIONS:
        sheet = book.add_worksheet(section.sheet)
        getters = []
        for c, column in enumerate(section.columns):
            sheet.write_string(HEADER_ROW - 1, c, column.header)
            name = column.field
            key = {"number": section.number_key, "date": section.date_key,
                   "original_number": section.original_number_key,
                   "original_date": section.original_date_key}.get(name, _RAW_KEY.get(name, name))
            getters.append((c, name, key, column.kind, formats[column.kind]))
        for r, raw in enumerate(document["imsDetails"].get(section.key, ()), start=FIRST_DATA_ROW - 1):
            for c, name, key, kind, cell_format in getters:
                if name in _ALWAYS_EMPTY:
                    continue
                if name == "record":
                    sheet.write_string(r, c, jsonio.dumps(raw), cell_format)
                elif name in _LABEL_FIELDS:
                    sheet.write_string(r, c, ACTION_LABELS[raw.get("action", "N")], cell_format)
                else:
                    value = raw.get(key)
                    if value is None:
                        continue
                    if kind is Kind.MONEY:
                        sheet.write_number(r, c, float(value), cell_format)
                    elif kind is Kind.DATE:
                        sheet.write_datetime(r, c, _portal_date(value), cell_format)
                    else:
                        sheet.write_string(r, c, str(value), cell_format)
    book.close()


def read_openpyxl(path: str) -> None:
    """One read_only, values_only pass over every sheet."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
    book.close()
    print(f"{cells} cells")


def read_calamine(path: str) -> None:
    """One python-calamine pass over every sheet (what ims_xl.files.fileport reads with)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    cells = 0
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).iter_rows():
            cells += len(row)
    print(f"{cells} cells")


def minimal_write(path: str, target: str) -> None:
    """The least an in-place edit of every section sheet costs: inflate each section sheet's part
    and deflate it again, into a new package (no parsing, no other parts)."""
    import zipfile

    from ims_xl.files.package import Package

    with Package(Path(path)) as package, zipfile.ZipFile(target, "w") as out:
        for section in SECTIONS:
            part = package.sheet_parts[section.sheet]
            out.writestr(package.zip.getinfo(part), package.read(part), compress_type=zipfile.ZIP_DEFLATED)
    print("section sheets inflated and deflated")


FLOORS = {"floor-write": floor_write, "read-openpyxl": read_openpyxl, "read-calamine": read_calamine,
          "minimal-write": minimal_write}


def argv(mode: str, *args: str | Path) -> list[str]:
    """The command line that measures one floor."""
    return [sys.executable, str(Path(__file__).resolve()), mode, *map(str, args)]


if __name__ == "__main__":
    FLOORS[sys.argv[1]](*sys.argv[2:])
