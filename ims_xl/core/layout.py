"""Where things are on the Home sheet and on the workbook's other, non-section sheets.

Row and column numbers are 0-based here (as XlsxWriter and list indexes count); ``a1`` turns a
position into Excel's notation for messages and for xlwings.
"""

from __future__ import annotations

HOME = "Home"
NOT_IN_IMS = "Not in IMS"
REMOVED = "Removed from Portal"
CHANGE_LOG = "Change Log"
LISTS = "Lists"
XLWINGS_CONF = "xlwings.conf"

# Home inputs: (row, column) of the value cell; the label sits one column to the left.
HOME_GSTIN = (3, 2)
HOME_PERIOD = (4, 2)
HOME_SOURCE = (5, 2)
HOME_LAST_ACTION = (6, 2)
HOME_LABELS = {
    HOME_GSTIN: "Recipient GSTIN",
    HOME_PERIOD: "Return Period (MMYYYY)",
    HOME_SOURCE: "Downloaded file",
    HOME_LAST_ACTION: "Last action",
}

# Buttons on Home: caption, VBA Sub (in workbook/ims_buttons.bas), row.
BUTTONS: tuple[tuple[str, str], ...] = (
    ("Open Downloaded IMS JSON File", "IMS_OpenJson"),
    ("Validate Sheet", "IMS_ValidateSheet"),
    ("Generate JSON File to Upload", "IMS_GenerateJson"),
    ("Open Downloaded Error JSON File", "IMS_OpenErrorJson"),
    ("Suggest Actions", "IMS_SuggestActions"),
    ("Refresh from Newer Download", "IMS_Refresh"),
    ("Supplier Follow-up", "IMS_SupplierFollowUp"),
)
BUTTON_COLUMN = 5  # F
BUTTON_FIRST_ROW = 2
BUTTON_ROW_STEP = 2

# The summary table: records and tax (IGST + CGST + SGST + Cess) by section and status.
SUMMARY_TOP = 16  # row of the table's header
SUMMARY_HEADERS = (
    "Sheet", "Records",
    "No Action", "Accept", "Reject", "Pending",
    "Tax: No Action", "Tax: Accept", "Tax: Reject", "Tax: Pending",
    "Errors", "Warnings",
)
SUMMARY_ROWS = 9  # eight sections and a total

# The reconciliation summary, under the summary table.
RECON_TOP = SUMMARY_TOP + SUMMARY_ROWS + 3
RECON_HEADERS = ("Match Result", "Records", "Tax")
RECON_RESULTS = (
    "Matched",
    "Matched, date differs",
    "Amounts differ",
    "Not in purchase register",
    "Not in IMS (register only)",
)

INSTRUCTIONS_TOP = RECON_TOP + len(RECON_RESULTS) + 3
INSTRUCTIONS = (
    "How to use this workbook",
    "1. On the GST portal: Services > Returns > Invoice Management System (IMS) Dashboard > Offline > "
    "Download JSON.",
    "2. Press 'Open Downloaded IMS JSON File' and choose the download (.json or .zip).",
    "3. On each section sheet choose the Status (Accept, Reject, Pending or No Action); add Remarks for "
    "Reject or Pending; answer 'ITC to be reduced' when accepting credit notes.",
    "4. Press 'Validate Sheet': filters are cleared, and problems are written in 'Sheet Validation "
    "Errors' and highlighted.",
    "5. Press 'Generate JSON File to Upload' and upload the file at IMS Dashboard > Offline > Upload JSON.",
    "6. If the upload is 'Processed with Error', download the error file and open it with "
    "'Open Downloaded Error JSON File'; fix the rows and generate again.",
    "Records left at No Action are deemed accepted when GSTR-2B is generated.",
)

# Columns of the auxiliary sheets (header texts are part of the workbook's interface).
NOT_IN_IMS_HEADERS = (
    "Supplier GSTIN", "Document Number", "Document Date", "Document Type",
    "Taxable Value", "IGST", "CGST", "SGST", "Cess", "Register Row", "Follow-up",
)
REMOVED_HEADERS = (
    "Sheet", "GSTIN of Supplier", "Trade/Legal Name", "Document Number", "Document Date",
    "Original Document Number", "Taxable Value", "Total Tax", "Status", "Remarks",
    "ITC to be reduced", "Declared IGST", "Declared CGST", "Declared SGST", "Declared Cess",
    "Removed On", "Portal Record",
)
CHANGE_LOG_HEADERS = ("When", "Action", "What changed", "File", "SHA-256")
AUX_HEADER_ROW = 2  # 0-based: title on row 0, header on row 2, data below


def a1(row: int, column: int) -> str:
    """0-based (row, column) -> "C4"."""
    letters = ""
    number = column + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"{letters}{row + 1}"


def column_letter(column: int) -> str:
    return a1(0, column)[:-1]
