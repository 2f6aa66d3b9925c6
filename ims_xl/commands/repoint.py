"""Point an existing book's buttons at this Python, changing nothing else in the file.

The book is the user's: only the ``xlwings.conf`` sheet's interpreter cells are rewritten, through
the same in-place patcher every command uses (``files.package``); every other part of the package is
copied as it is; the file is replaced in one step. With ``vba=...`` the VBA project
(``xl/vbaProject.bin``) is replaced too, for a book whose xlwings module is older or newer than
the xlwings that will run its buttons.

Also the sheet-name reader ``ims-xl doctor`` shares.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from python_calamine import CalamineWorkbook

from ..core import layout
from ..core.problems import InputError
from ..files import locks
from ..files.atomic import replacing
from ..files.package import Package, rewrite_package
from ..files.sheetxml import SheetEdit

VBA_PART = "xl/vbaProject.bin"


def sheet_names(book: Path) -> list[str]:
    """The book's sheet names in tab order."""
    with Package(book) as package:
        return list(package.sheet_parts)


def repoint(book: Path, conf: dict[str, str], *, vba: bytes | None = None) -> None:
    """Set ``conf``'s keys on the book's ``xlwings.conf`` sheet (and replace its VBA project if given).

    Raises InputError, before writing anything, for a book that is open, is not an .xlsm, cannot be
    read, or has no ``xlwings.conf`` sheet.
    """
    if not book.exists():
        raise InputError(f"{book}: no such workbook", code="no-such-workbook", file=book)
    if book.suffix.lower() != ".xlsm":
        raise InputError(f"{book}: only an .xlsm has buttons to repoint", code="wrong-file-type", file=book)
    locks.refuse_if_open_elsewhere(book)
    with Package(book) as package:
        if layout.XLWINGS_CONF not in package.sheet_parts:
            raise InputError(f"{book}: no {layout.XLWINGS_CONF} sheet; make a new book with 'ims-xl workbook'",
                             code="sheet-missing", file=book, sheet=layout.XLWINGS_CONF)
        if vba is not None and VBA_PART not in package.zip.namelist():
            raise InputError(f"{book}: has no VBA project to replace; make a new book with 'ims-xl workbook'",
                             code="no-vba-project", file=book)
    edit = conf_edit(_conf_rows(book), conf)
    try:
        with replacing(book) as temporary:
            rewrite_package(book, temporary, {layout.XLWINGS_CONF: edit},
                            replace_parts={VBA_PART: vba} if vba is not None else None)
    except PermissionError as error:  # Windows: Excel holds the file open
        raise InputError(f"{book}: cannot be replaced ({error.strerror}); is it open in Excel?",
                         code="cannot-write-file", file=book) from None


def conf_edit(rows: Sequence[Sequence[object]], values: dict[str, str]) -> SheetEdit:
    """Column B set to ``values[key]`` on the row whose column A is ``key``; keys not on the sheet get
    new rows below the last one."""
    edit = SheetEdit()
    where = {str(row[0]).strip(): number for number, row in enumerate(rows, start=1)
             if row and row[0] not in ("", None)}
    next_row = len(rows) + 1
    for key, value in values.items():
        if key in where:
            edit.set(where[key], 2, value)
        else:
            edit.set_row(next_row, 1, [key, value])
            next_row += 1
    return edit


def _conf_rows(book: Path) -> Sequence[Sequence[object]]:
    try:
        sheet = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(layout.XLWINGS_CONF)
        rows: Sequence[Sequence[object]] = sheet.to_python(skip_empty_area=False)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as error:
        raise InputError(f"{book}: not a workbook that can be read ({error})",
                         code="not-a-workbook", file=book, sheet=layout.XLWINGS_CONF) from None
    except Exception as error:  # calamine's own error types
        raise InputError(f"{book}: not a workbook that can be read ({error})",
                         code="not-a-workbook", file=book, sheet=layout.XLWINGS_CONF) from None
    return rows
