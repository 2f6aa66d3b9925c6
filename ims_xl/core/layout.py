"""Every sheet the tool owns, described once, as data.

Writers (XlsxWriter for a new book, the in-place file patcher, xlwings in Excel), readers, number
formats, dropdowns, highlighting rules and the Home summary all derive from these descriptions:
adding a column to a table or a row to a Home table is one line here.

One coordinate convention: rows and columns are numbered as Excel shows them, from 1 (``Cell(4, 3)``
is C4). Only the XlsxWriter adapter, which counts from 0, converts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sections import (
    ACTION_LABELS,
    FIRST_DATA_ROW,
    HEADER_ROW,
    SECTIONS,
    STATUS_ORDER,
    Column,
    Kind,
    Section,
)

HOME = "Home"

# Money cells group in lakhs and crores whatever the PC's region (#,##0.00 would follow it, and
# many office PCs run en-US). A number format has two conditions at most: crores, lakhs, and the
# rest, which is grouped the same way in both systems. Amounts of 100 crore and more show their
# first group with three digits. A negative amount falls into the last section: Excel shows its
# minus sign (and groups it in thousands) but LibreOffice drops it, so cells that can be negative
# (the ITC table's change rows, the register's amounts) use SIGNED_MONEY_FORMAT, which follows the region.
MONEY_FORMAT = r"[>=10000000]##\,##\,##\,##0.00;[>=100000]##\,##\,##0.00;#,##0.00"
SIGNED_MONEY_FORMAT = "#,##0.00"
WHOLE_RUPEES_FORMAT = r"[>=10000000]##\,##\,##\,##0;[>=100000]##\,##\,##0;#,##0"  # chart labels
NOT_IN_IMS = "Not in IMS"
REMOVED = "Removed from Portal"
CHANGE_LOG = "Change Log"
LISTS = "Lists"
XLWINGS_CONF = "xlwings.conf"


@dataclass(frozen=True)
class Cell:
    """A place on a sheet, numbered as Excel numbers it (row 1, column 1 is A1)."""

    row: int
    column: int

    @property
    def a1(self) -> str:
        return f"{column_letter(self.column)}{self.row}"

    def right(self, offset: int = 1) -> Cell:
        return Cell(self.row, self.column + offset)

    def down(self, offset: int = 1) -> Cell:
        return Cell(self.row + offset, self.column)


@dataclass(frozen=True)
class Table:
    """A table on a sheet: a title above, a header row, then one row per item from ``first_row``."""

    sheet: str
    title: str
    header_row: int
    columns: tuple[Column, ...]
    left: int = 1  # column of the first field
    row_labels: tuple[str, ...] = ()  # Home tables: the fixed first-column texts, one per row
    totals: bool = False  # a "Total" row under the items, summing the money and count columns

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        """Last row of a fixed-size table (Home)."""
        return self.header_row + len(self.row_labels)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)

    @property
    def width(self) -> int:
        return len(self.columns)

    def position(self, field: str) -> int:
        """0-based offset of a field within a row of this table."""
        for offset, column in enumerate(self.columns):
            if column.field == field:
                return offset
        raise KeyError(f"{self.sheet} table has no column {field!r}")

    def column_of(self, field: str) -> int:
        return self.left + self.position(field)

    def has(self, field: str) -> bool:
        return any(column.field == field for column in self.columns)


def section_table(section: Section) -> Table:
    return _SECTION_TABLES[section.key]


_SECTION_TABLES = {
    section.key: Table(section.sheet, f"{section.sheet}: {section.title}", HEADER_ROW, section.columns)
    for section in SECTIONS
}
assert FIRST_DATA_ROW == HEADER_ROW + 1


# --- the auxiliary sheets ----------------------------------------------------------------------

AUX_HEADER_ROW = 3  # title on row 1, header on row 3, data below

NOT_IN_IMS_TABLE = Table(NOT_IN_IMS, "Register entries with no IMS record: the supplier has not uploaded them yet",
                         AUX_HEADER_ROW, (
                             Column("stin", "Supplier GSTIN", Kind.TEXT, 20),
                             Column("number", "Document Number", Kind.TEXT, 20),
                             Column("date", "Document Date", Kind.DATE, 14),
                             Column("document_type", "Document Type", Kind.TEXT, 14),
                             Column("txval", "Taxable Value", Kind.MONEY, 16, signed=True),
                             Column("iamt", "IGST", Kind.MONEY, 15, signed=True),
                             Column("camt", "CGST", Kind.MONEY, 15, signed=True),
                             Column("samt", "SGST", Kind.MONEY, 15, signed=True),
                             Column("cess", "Cess", Kind.MONEY, 15, signed=True),
                             Column("register_row", "Register Row", Kind.COUNT, 12),
                             Column("follow_up", "Follow-up", Kind.TEXT, 40, wrapped=True),
                             Column("row_kind", "Kind of Row", Kind.TEXT, 22),
                         ))
# "Kind of Row" on Not in IMS: the register's own copy of a document IMS lacks, or a second copy of it.
MISSING_FROM_IMS, DUPLICATE_IN_REGISTER = "Missing from IMS", "Duplicate in register"
NOT_READ_FROM_REGISTER = "Not read from register"  # a register row with a cell that could not be read
REMOVED_TABLE = Table(REMOVED, "Records gone from the newer download, kept with your inputs", AUX_HEADER_ROW, (
    Column("sheet", "Sheet", Kind.TEXT, 12),
    Column("stin", "GSTIN of Supplier", Kind.TEXT, 20),
    Column("tradenm", "Trade/Legal Name", Kind.TEXT, 24),
    Column("number", "Document Number", Kind.TEXT, 20),
    Column("date", "Document Date", Kind.TEXT, 14),
    Column("original_number", "Original Document Number", Kind.TEXT, 20),
    Column("txval", "Taxable Value", Kind.MONEY, 16),
    Column("tax", "Total Tax", Kind.MONEY, 15),
    Column("status", "Status", Kind.TEXT, 12),
    Column("remarks", "Remarks", Kind.TEXT, 24),
    Column("itc", "ITC to be reduced", Kind.TEXT, 12),
    Column("decl_igst", "Declared IGST", Kind.MONEY, 15),
    Column("decl_cgst", "Declared CGST", Kind.MONEY, 15),
    Column("decl_sgst", "Declared SGST", Kind.MONEY, 15),
    Column("decl_cess", "Declared Cess", Kind.MONEY, 15),
    Column("removed_on", "Removed On", Kind.TEXT, 14),
    Column("record", "Portal Record", Kind.TEXT, 10, hidden=True),
))
CHANGE_LOG_TABLE = Table(CHANGE_LOG, "Every operation on this workbook", AUX_HEADER_ROW, (
    Column("when", "When", Kind.TEXT, 20),
    Column("action", "Action", Kind.TEXT, 12),
    Column("details", "What changed", Kind.TEXT, 80, wrapped=True),
    Column("file", "File", Kind.TEXT, 30),
    Column("sha256", "SHA-256", Kind.TEXT, 20),
))
AUX_TABLES = (NOT_IN_IMS_TABLE, REMOVED_TABLE, CHANGE_LOG_TABLE)

# Header tuples, for messages and tests that name the columns.
NOT_IN_IMS_HEADERS = NOT_IN_IMS_TABLE.headers
REMOVED_HEADERS = REMOVED_TABLE.headers
CHANGE_LOG_HEADERS = CHANGE_LOG_TABLE.headers


# --- Home ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeField:
    """A labelled value cell on Home; the label sits in the column to its left."""

    field: str
    label: str
    cell: Cell
    editable: bool = False
    name: str | None = None  # a defined name for the cell


HOME_FIELDS = (
    HomeField("gstin", "Recipient GSTIN", Cell(4, 3), editable=True, name="RecipientGSTIN"),
    HomeField("period", "Return Period (MMYYYY)", Cell(5, 3), editable=True, name="ReturnPeriod"),
    HomeField("source_file", "Downloaded file", Cell(6, 3)),
    HomeField("last_action", "Last action", Cell(7, 3)),
    # The GSTIN the download was for, recorded by open: the upload goes out under it, whatever is typed above.
    HomeField("download_gstin", "GSTIN of the download", Cell(8, 3)),
    # What the last refresh found, counted from the rows' Refresh Notes (the marks below). Row 3 is
    # free in both editions: rows 9-15 hold the instructions, or the Lite edition's cells (lite/home.py).
    HomeField("last_refresh", "Last refresh found", Cell(3, 3)),
    HomeField("layout", "Workbook layout", Cell(2, 3)),  # under the title: the tool's, not the user's
)
HOME_FIELD = {home_field.field: home_field for home_field in HOME_FIELDS}
# "Last action" wraps within C7:E7, left of the buttons: nothing covers it.
LAST_ACTION_AREA = (HOME_FIELD["last_action"].cell, HOME_FIELD["last_action"].cell.right(2))
LAST_ACTION_ROW_HEIGHT = 45  # points: three lines of text
# Home's long texts, each wrapped within its cell and the two right of it: {top-left: (bottom-right, row height)}.
WRAPPED_AREAS = {
    LAST_ACTION_AREA[0]: (LAST_ACTION_AREA[1], LAST_ACTION_ROW_HEIGHT),
    HOME_FIELD["last_refresh"].cell: (HOME_FIELD["last_refresh"].cell.right(2), 30),  # two lines
}
LAST_ACTION_CHARACTERS = 170  # what three lines of C7:E7 show; a longer message is shortened there

# The layout of the tool's sheets (headers, columns, Home's cells), recorded on Home. A book of an
# older layout is upgraded in place by the next command (files.upgrade); 1 is the layout of the
# releases up to 213ee6d, which recorded none.
LAYOUT_VERSION = 2



def section_layout(headers: list[str], section: Section) -> int | None:
    """Which layout a section sheet's header row (texts from column A) is; None: neither."""
    from .sections import fields_of_layout

    for version in range(LAYOUT_VERSION, 0, -1):
        expected = [section.column(name).header for name in fields_of_layout(section, version)]
        if headers[:len(expected)] == expected:
            return version
    return None


# Refresh Notes that the Home counts, the highlighting and ``summary`` look for.
RESET_MARK = "decide again"  # the supplier changed the document, and the user's decision was reset
CONFIRMED_MARK = "confirmed by the portal"  # an uploaded decision the newer download shows
UNCONFIRMED_MARK = "not (yet) applied by the portal"  # an uploaded decision the newer download does not show
HOME_TITLE = Cell(1, 2)

# Buttons on Home: caption and VBA Sub (in workbook/ims_buttons.bas), stacked down one column.
# The captions are written here once: the Excel and Lite buttons, the instructions and the file
# dialogs all take them from these names.
OPEN_JSON = "Open Downloaded IMS JSON File"
VALIDATE_SHEET = "Validate Sheet"
GENERATE_JSON = "Generate JSON File to Upload"
OPEN_ERROR_JSON = "Open Downloaded Error JSON File"
SUGGEST_ACTIONS = "Suggest Actions"
REFRESH = "Refresh from Newer Download"
SUPPLIER_FOLLOW_UP = "Supplier Follow-up"
BUTTONS: tuple[tuple[str, str], ...] = (
    (OPEN_JSON, "IMS_OpenJson"),
    (VALIDATE_SHEET, "IMS_ValidateSheet"),
    (GENERATE_JSON, "IMS_GenerateJson"),
    (OPEN_ERROR_JSON, "IMS_OpenErrorJson"),
    (SUGGEST_ACTIONS, "IMS_SuggestActions"),
    (REFRESH, "IMS_Refresh"),
    (SUPPLIER_FOLLOW_UP, "IMS_SupplierFollowUp"),
)
BUTTON_TOP = Cell(3, 6)
BUTTON_ROW_STEP = 2
CHART_TOP = Cell(28, 9)  # beside the reconciliation and ITC tables, right of both
CHART_TITLE = "Tax by status, all sections (the summary's Total row)"

_STATUS_CODES = STATUS_ORDER
TOTAL_LABEL = "Total"


def _summary_columns() -> tuple[Column, ...]:
    counts = [Column(f"count_{code}", ACTION_LABELS[code], Kind.COUNT) for code in _STATUS_CODES]
    taxes = [Column(f"tax_{code}", f"Tax: {ACTION_LABELS[code]}", Kind.MONEY) for code in _STATUS_CODES]
    return (
        Column("sheet", "Sheet", Kind.TEXT),
        Column("records", "Records", Kind.COUNT),
        *counts,
        *taxes,
        Column("downloaded", "Downloaded", Kind.COUNT),
        Column("not_on_sheet", "Not on Sheet", Kind.COUNT),
        # Errors and warnings stay last: a save without a new validation leaves them as they are.
        Column("errors", "Errors", Kind.COUNT),
        Column("warnings", "Warnings", Kind.COUNT),
    )


# The reconciliation's result lines, each a name the reconciler uses, then the Home table's order.
MATCHED = "Matched"
DATE_DIFFERS = "Matched, date differs"
AMOUNTS_DIFFER = "Amounts differ"
NOT_IN_REGISTER = "Not in purchase register"
NOT_IN_IMS_RESULT = "Not in IMS (register only)"
RECON_RESULTS = (
    MATCHED,
    DATE_DIFFERS,
    AMOUNTS_DIFFER,
    NOT_IN_REGISTER,
    NOT_IN_IMS_RESULT,
)
ITC_ROWS = (
    ("accepted", "Accepted"),
    ("deemed", "Deemed accepted (No Action)"),
    ("credit_note_reduction", "Credit-note reduction"),
    ("after_actions", "Available after actions"),
    ("as_downloaded", "As downloaded"),
    ("change", "Change from this upload"),
    ("rejected", "Rejected"),
    ("pending", "Pending"),
)
ITC_SIGNED_ROWS = ("change", "pending")  # rows that can be negative: SIGNED_MONEY_FORMAT
_TABLE_GAP = 3  # rows between one Home table's last row and the next one's header


def _stack(top: int, specs: list[tuple[str, tuple[Column, ...], tuple[str, ...]]]) -> list[Table]:
    tables: list[Table] = []
    header = top
    for title, columns, labels in specs:
        table = Table(HOME, title, header, columns, left=2, row_labels=labels)
        tables.append(table)
        header = table.last_row + _TABLE_GAP
    return tables


SUMMARY_TABLE, RECON_TABLE, ITC_TABLE = _stack(17, [
    ("Summary by section and status (tax = IGST + CGST + SGST + Cess)", _summary_columns(),
     (*(section.sheet for section in SECTIONS), TOTAL_LABEL)),
    ("Reconciliation with the purchase register",
     (Column("result", "Match Result", Kind.TEXT), Column("records", "Records", Kind.COUNT),
      Column("tax", "Tax", Kind.MONEY)),
     RECON_RESULTS),
    ("ITC after your actions (indicative, as draft GSTR-2B would treat the records)",
     (Column("row", "", Kind.TEXT), Column("igst", "IGST", Kind.MONEY), Column("cgst", "CGST", Kind.MONEY),
      Column("sgst", "SGST", Kind.MONEY), Column("cess", "Cess", Kind.MONEY), Column("total", "Total", Kind.MONEY)),
     tuple(label for _, label in ITC_ROWS)),
])
HOME_TABLES = (SUMMARY_TABLE, RECON_TABLE, ITC_TABLE)

# On the first screen, below the fields and left of the buttons: each line fits columns B to E.
INSTRUCTIONS_TOP = Cell(9, 2)
# The Lite edition has its status and file cells there: its instructions go below the tables.
INSTRUCTIONS_BELOW_TABLES = Cell(ITC_TABLE.last_row + _TABLE_GAP, 2)
INSTRUCTIONS = (
    "How to use this workbook",
    "1. Portal: IMS Dashboard > Offline > Download JSON; open it with the first button.",
    "2. On each sheet choose Status in the yellow column (No Action = deemed accepted).",
    "3. Accepting a credit note: answer 'ITC to be reduced'. Remarks are optional.",
    f"4. {VALIDATE_SHEET}: problems appear in Sheet Validation Errors, in colour.",
    f"5. {GENERATE_JSON}; upload it at IMS Dashboard > Offline > Upload.",
    f"6. 'Processed with Error'? Open the error file with {OPEN_ERROR_JSON}.",
)

# What the colours on the section sheets mean, right of the buttons beside the instructions: (colour, meaning).
LEGEND_TOP = Cell(9, 9)
LEGEND_TITLE = "What the colours on the section sheets mean"
LEGEND = (
    ("green", "Green", "a Status you changed"),
    ("red", "Red", "an error: fix it before the upload"),
    ("yellow", "Yellow", "a warning: check it"),
    ("orange", "Orange", "the portal rejected the row (error file)"),
    ("blue", "Blue", "changed by a newer download (Refresh Notes)"),
    ("grey", "Grey", "the portal does not allow this input for the row"),
)

# Column widths on Home: (first column, last column, width). Money columns fit crores.
HOME_WIDTHS = ((1, 1, 2), (2, 2, 30), (3, 3, 22), (4, 15, 15))


# --- finding tags --------------------------------------------------------------------------------

# A finding shown in "Sheet Validation Errors" starts with its tag; the highlighting rules look
# for "<TAG> [<header>]" to colour the cell at fault. Both sides use these functions.
ERROR_TAG, WARNING_TAG, HINT_TAG = "ERROR", "WARNING", "HINT"  # HINT: advice, never highlighted


def finding_tag(is_error: bool, header: str | None, *, hint: bool = False) -> str:
    tag = ERROR_TAG if is_error else HINT_TAG if hint else WARNING_TAG
    return f"{tag} [{header}]" if header else tag


def column_letter(column: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    letters = ""
    number = column
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: str) -> int:
    """"A" -> 1, "AA" -> 27."""
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number
