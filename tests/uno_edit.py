"""Edit a workbook as a user would, in LibreOffice, through its UNO bridge.

Run with Debian's system Python (the one beside soffice, with python3-uno):
    /usr/bin/python3 tests/uno_edit.py IN OUT PROFILE_DIR
It opens IN headless, makes the edits a CA's staff make to their working paper, and saves OUT
(.xlsm keeps the VBA project, .xlsx drops it). Prints "edited" when done.
"""

import contextlib
import os
import subprocess
import sys
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.table import CellAddress  # type: ignore[import-not-found]


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(profile):
    pipe = f"ims_xl_{os.getpid()}"
    env = dict(os.environ, HOME=profile)
    process = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                                f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return process, context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("LibreOffice did not start")


def main(source, target, profile):
    process, desktop = connect(profile)
    try:
        book = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
        sheets = book.Sheets
        # A sheet of the user's own: a formula, a date, a comment, a coloured cell.
        sheets.insertNewByName("My Notes", sheets.Count)
        notes = sheets.getByName("My Notes")
        notes.getCellRangeByName("A1").setString("Client call notes")
        notes.getCellRangeByName("B2").setValue(1200)
        notes.getCellRangeByName("B3").setFormula("=B2*2")
        notes.getCellRangeByName("C2").setFormula("=DATE(2025;10;15)")
        notes.getCellRangeByName("C2").NumberFormat = book.NumberFormats.queryKey(
            "DD/MM/YYYY", book.CharLocale, False) if book.NumberFormats.queryKey(
            "DD/MM/YYYY", book.CharLocale, False) >= 0 else book.NumberFormats.addNew("DD/MM/YYYY", book.CharLocale)
        notes.getCellRangeByName("D4").CellBackColor = 0xFFFF00
        notes.Annotations.insertNew(CellAddress(notes.RangeAddress.Sheet, 0, 0), "Ask about October")
        # On B2B: a column of the user's own right of the table, a comment and a colour on A5.
        b2b = sheets.getByName("B2B")
        b2b.unprotect("")
        used = b2b.createCursor()
        used.gotoEndOfUsedArea(False)
        extra = used.RangeAddress.EndColumn + 2
        b2b.getCellByPosition(extra, 3).setString("My Check")
        b2b.getCellByPosition(extra, 4).setString("ledger ok")
        b2b.getCellByPosition(extra, 5).setFormula("=1+1")
        b2b.Annotations.insertNew(CellAddress(b2b.RangeAddress.Sheet, 0, 4), "Call the supplier")
        b2b.getCellRangeByName("B5").CellBackColor = 0x00FF00
        # On Home, far from the tool's cells: a note.
        home = sheets.getByName("Home")
        home.unprotect("")
        home.getCellRangeByName("T60").setString("Reviewed by partner")
        url = uno.systemPathToFileUrl(target)
        filter_name = "Calc MS Excel 2007 VBA XML" if target.endswith(".xlsm") else "Calc MS Excel 2007 XML"
        book.storeToURL(url, (prop("FilterName", filter_name),))
        book.close(True)
        print("edited", extra + 1)
    finally:
        with contextlib.suppress(Exception):  # LibreOffice may already be gone
            desktop.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main(*sys.argv[1:4])
