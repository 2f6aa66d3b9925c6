"""Every finding the validator can report: one entry per stable code.

A code never changes once released (tests, users and support refer to it). Each entry gives the
severity, the message template (``str.format`` placeholders filled by the rule) and a short
explanation; the README's table of checks is this catalogue, and a test fails when they differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problems import Problem, Severity

E, W, H = Severity.ERROR, Severity.WARNING, Severity.HINT


@dataclass(frozen=True)
class Entry:
    code: str
    severity: Severity
    template: str
    explanation: str  # for the README: when the finding is raised


_ENTRIES = (
    # The decision itself
    Entry("unknown-status", E, "{reason}",
          "Status is not Accept, Reject, Pending or No Action (A/R/P/N and any case are understood), or shows "
          "a formula's error such as #N/A"),
    Entry("missing-status", E, "Status is empty; choose Accept, Reject, Pending or No Action",
          "Status left empty"),
    Entry("pending-blocked", E, "The portal does not allow Pending for this record; choose Accept or Reject",
          "Pending where the download says the portal forbids it (`ispendactblocked` = Y)"),
    Entry("reset-needs-portal", E,
          "A record cannot go back to No Action through an upload (it was {was} when downloaded); reset it on the "
          "portal's IMS dashboard, or choose another status",
          "back to No Action after another action: only the portal's IMS dashboard can reset"),
    # Remarks (decision D7: allowed with Accept, Reject and Pending)
    Entry("remarks-need-an-action", E,
          "Remarks go with Accept, Reject or Pending, not No Action; clear the Remarks or change the Status",
          "remarks on a row left at No Action (nothing would carry them)"),
    Entry("remarks-too-long", E, "Remarks have {length} characters; the portal takes at most {limit}",
          "remarks over 250 characters"),
    Entry("remarks-blocked", E, "The portal does not accept remarks for this record; clear the Remarks",
          "remarks where the download says the portal forbids them (`isRemarksBlocked` = Y)"),
    # D7 amended: remarks are optional (Advisory 624), so this is advice, not a warning.
    Entry("remarks-advised-partial-reduction", H,
          "Accepted with a partial or nil ITC reduction ({why}) and no Remarks; Remarks are optional, but a "
          "short reason helps the supplier and your file",
          "a credit note or other specified record accepted with 'ITC to be reduced' = No, or declared amounts "
          "below its tax, without remarks (not counted as a warning)"),
    # The ITC-reduction declaration
    # Decision D8: the portal's own default is Yes, and it refuses an Accept without the answer.
    Entry("itc-answer-defaulted", W,
          "'ITC to be reduced' is blank on this Accept, so the upload sends Yes (the portal's default: the whole "
          "ITC of the note is reversed); choose No if the ITC was never availed or already reversed",
          "Accept of a credit note (or an amendment the download marks as open to the declaration) without "
          "'ITC to be reduced': the upload sends Yes (decision D8)"),
    Entry("itc-answer-advised", W,
          "If this amendment reduces the value, the portal needs 'ITC to be reduced' (Yes or No) on Accept",
          "Accept of an amendment without 'ITC to be reduced', where the download does not say"),
    Entry("itc-only-on-accept", E,
          "'ITC to be reduced' and declared amounts go only with Accept; clear them or change the Status",
          "ITC-reduction inputs with Reject, Pending or No Action"),
    Entry("itc-blocked", E,
          "The portal does not allow an ITC-reduction declaration for this record; clear 'ITC to be reduced' and "
          "the declared amounts",
          "ITC-reduction inputs where the download forbids them (`isItcRedReqBlocked` = Y)"),
    Entry("itc-not-allowed-here", E, "{title} take no ITC-reduction declaration",
          "ITC-reduction inputs on a section without the declaration (B2B, debit notes, ECO)"),
    Entry("unknown-itc", E, "{reason}; choose Yes or No", "'ITC to be reduced' is not Yes or No"),
    Entry("amount-not-a-number", E, "{reason}; type an amount in rupees",
          "a declared amount that is not a number (only Indian or Western digit grouping is read)"),
    Entry("amount-negative", E, "A declared amount cannot be negative", "a declared amount below 0"),
    Entry("amount-too-precise", E, "{amount} has more than 2 decimal places",
          "a declared amount with more than 2 decimals"),
    Entry("amount-above-tax", E, "{amount} is more than the supplier's {head} of {tax}",
          "a declared amount above the supplier's tax of the same head"),
    Entry("cgst-sgst-differ", E, "Declared CGST ({cgst}) and SGST ({sgst}) must be equal",
          "declared CGST and SGST differ"),
    Entry("amounts-with-itc-no", E,
          "Declared amounts go only with 'ITC to be reduced' = Yes; clear them or choose Yes",
          "declared amounts with 'ITC to be reduced' = No"),
    # The rows themselves
    Entry("duplicate-decisions", E,
          "The same document is also on row {other} with a different decision; keep one row (no upload until "
          "then)",
          "the same document on two rows with different decisions (a copied row)"),
    Entry("duplicate-record", W, "The same document is also on row {other}; only one row should be kept",
          "the same document on two rows with the same decision"),
    Entry("copied-row-retyped", E,
          "This row is a copy of row {other} with its document typed over: what it would send is that row's "
          "document ({number}), not the one shown here; delete this row (rows come from the portal download: "
          "type invoices in the purchase register, not on the IMS sheet)",
          "a copied row whose supplier GSTIN, number or date were typed over (the upload would send the "
          "original document twice)"),
    Entry("portal-value-overwritten", W,
          "{header} shows {shown}, the portal has {portal}; the upload sends the portal's value",
          "a downloaded value (amount, GSTIN, number, date) typed over on the sheet"),
    # Home
    Entry("recipient-gstin-missing", E,
          "Enter the recipient GSTIN (the client's GSTIN) on the Home sheet", "no recipient GSTIN on Home"),
    Entry("recipient-gstin-invalid", E, "Recipient GSTIN {reason}",
          "the client's GSTIN on Home fails the format or the check character"),
    Entry("recipient-gstin-not-the-downloads", E,
          "Recipient GSTIN {typed} is not the GSTIN of the download this workbook was opened from ({download}); "
          "the upload goes out under the download's: put {download} back (another client's download goes into "
          "its own workbook)",
          "the GSTIN on Home differs from the one the download was for (recorded when the workbook was opened)"),
)

# Odd values in the portal's own data (decision D9): the user cannot change them, so they are no
# finding on a row; ``Report.portal_oddities`` counts them by these kinds for one line of output.
PORTAL_ODDITIES: dict[str, tuple[str, str]] = {  # kind: (one, many)
    "supplier-gstin-check": ("supplier GSTIN failing its check character",
                             "supplier GSTINs failing their check character"),
    "document-number-format": ("document number outside the GST pattern (16 letters, digits, / and -)",
                               "document numbers outside the GST pattern (16 letters, digits, / and -)"),
}

# What the portal said about a record, from its error file (shown in "GST Portal Validation
# Errors"); the portal's code and words are the values. Not checks of the validator, so not in
# the README's table of checks.
_PORTAL_ENTRIES = (
    Entry("portal-error", E, "{portal_code}: {portal_message}", "the portal rejected the record, with its code"),
    Entry("portal-error-uncoded", E, "{portal_message}", "the portal rejected the record, without a code"),
)

# The portal's error codes (domain doc §4.4), in plain English with the fix: shown after the
# portal's own message in "GST Portal Validation Errors". A code not listed shows the portal's words alone.
PORTAL_ERROR_CODES: dict[str, tuple[str, str]] = {  # code: (what it means, the fix)
    "IMSSAV0010": ("the record changed on the portal after your download (the supplier edited it, or an action "
                   "was taken on the portal), so its previous status no longer matches",
                   "download IMS again, take it in with Refresh from Newer Download (ims-xl refresh), check the "
                   "row and generate the upload again"),
    "IMSSAV0054": ("accepting a credit note (or a downward amendment) needs an answer to 'ITC to be reduced'",
                   "choose Yes or No in 'ITC to be reduced' on this row, then Validate and generate the upload "
                   "again"),
    "IMSSAV005": ("the portal could not read the upload file (schema validation failure)",
                  "generate the upload again from this workbook and upload it without editing it"),
    "GEN5001": ("the upload lacked a value the portal requires (a file edited by hand, or no recipient GSTIN)",
                "check the Recipient GSTIN on Home, generate the upload again and upload it unedited"),
    "IMSSAV0015": ("an earlier upload or reset for this GSTIN is still being processed",
                   "wait until the earlier upload shows Processed on the IMS dashboard, then upload again"),
    "IMS2005": ("GSTR-2B has no changes to recompute", "nothing to correct: your actions are already in GSTR-2B"),
    "IMS0027": ("the portal has no added-back liability records for what was asked", "nothing to correct here"),
}

CATALOGUE: dict[str, Entry] = {entry.code: entry for entry in (*_ENTRIES, *_PORTAL_ENTRIES)}
assert len(CATALOGUE) == len(_ENTRIES) + len(_PORTAL_ENTRIES), "a code is listed twice"


def problem(code: str, *, sheet: str | None = None, row: int | None = None, column: str | None = None,
            field: str | None = None, **values: object) -> Problem:
    """A finding with the catalogue's severity; ``values`` fill its message template when rendered."""
    return Problem(code=code, severity=CATALOGUE[code].severity, sheet=sheet, row=row, column=column, field=field,
                   values=tuple(values.items()))


def readme_table() -> str:
    """The README's table of checks, as Markdown."""
    lines = ["| code | severity | when |", "|---|---|---|"]
    lines += [f"| `{entry.code}` | {entry.severity.value} | {entry.explanation} |" for entry in _ENTRIES]
    return "\n".join(lines)


# Why the tool refused its input (``InputError.code``): the command stops with exit code 2 and one
# line, and writes nothing. A code never changes once released; the README's table is this one.
INPUT_ERRORS: dict[str, str] = {
    # Files and folders named on the command line (or in Lite's Files)
    "no-such-file": "the download, error file or purchase register named does not exist",
    "no-such-workbook": "the workbook named does not exist",
    "no-such-folder": "the folder to read from or write into does not exist",
    "is-a-folder": "a folder was named where a file is expected",
    "not-a-folder": "a file was named where a folder is expected (`practice DIR`)",
    "cannot-read-file": "the operating system refused to read the file (permissions, a broken disk)",
    "wrong-file-type": "the file name does not end the way the command needs (.xlsm, .xlsx, .json, .csv)",
    "already-exists": "the file to write exists; `--force` replaces it (keeping a backup where the command says so)",
    "target-is-the-workbook": "the file to write is the workbook itself",
    "would-replace-other-file": "`generate -o` names an existing file that is not an upload ims-xl wrote",
    "read-only": "the workbook, the file or its folder is marked read-only",
    "cannot-write-file": "the file could not be replaced, usually because Excel has it open",
    "open-in-another-program": "the workbook is open in Excel or LibreOffice (its lock file is beside it)",
    "workbook-busy": "another ims-xl command is working on the workbook",
    "changed-while-running": "the workbook was saved by another program while the command ran",
    "arguments-swapped": "the files were given in the wrong order (`reconcile BOOK REGISTER`, `errors ERRORFILE BOOK`)",
    "bad-option": "a command-line option has a value the command cannot use (`--tolerance`, `-j`)",
    "no-downloads": "`practice`: the folder holds no IMS download (.json or .zip)",
    "not-in-lite-files": "xlwings Lite: the file named on Home, or any file of the kind needed, is not in Lite's Files",
    "upload-check-failed": "`generate`: the upload built breaks one of its guarantees (each document once, the "
                           "download's GSTIN, only changed records, the download's values); a fault in ims-xl",
    "demo-failed": "`demo`: the bundled sample did not produce an upload (a bug: please report it)",
    # Portal files: the download, the error file
    "empty-file": "the portal file is empty",
    "file-too-large": "the portal file, or what its zip expands to, is over the size limit (1,024 MB: a sheet's "
                      "rows x 1 KB a record), expands over 100 times from its zip, or holds far more values "
                      "than records carry",
    "too-many-records": "the portal file holds more records than a sheet has rows (1,048,572)",
    "bad-zip": "the zip is damaged, incomplete or encrypted",
    "zip-not-one-json": "the zip holds no JSON file, or more than one",
    "not-json-text": "the file is not text (a picture, a PDF or an Excel file)",
    "invalid-json": "the file is not valid JSON, or is cut short (an interrupted download)",
    "json-too-deep": "the JSON is nested far deeper than any IMS file",
    "duplicate-key": "a key appears twice in one JSON object (the file was edited or damaged)",
    "broken-character": "a text holds half of a UTF-16 pair, which is no character",
    "not-an-ims-file": "the JSON is not an IMS download, error file or upload (no sections the tool knows)",
    "unexpected-json-shape": "a section, the envelope or the error report holds the wrong kind of JSON value",
    "invalid-record": "a record misses a field the portal always sends, or a field has a value of the wrong kind",
    "implausible-amount": "an amount has more than 13 digits before the decimal point",
    "wrong-kind-of-file": "an error file or upload given where a download is needed, or the other way round",
    "gstin-mismatch": "the portal file is for another GSTIN than the workbook (or than `--gstin`)",
    "not-this-workbooks-error-file": "none of the error file's records is in the workbook (another client's or "
                                     "another period's error file)",
    "not-an-error-file": "the file given as an error file carries no error messages (is it the download?)",
    "download-doubtful": "`refresh`: the download is older than the last one taken, of another return period, "
                         "or holds fewer than half of the book's records; `--force` takes it anyway",
    "error-file-doubtful": "`errors`: the error file is of another return period, or older than the book's last "
                           "upload; `--force` takes it anyway",
    # Workbooks
    "not-a-workbook": "the file is not an Excel workbook that can be read (damaged, or another format)",
    "workbook-too-large": "a part of the workbook expands far beyond any real workbook (damaged or hostile file)",
    "not-an-ims-xl-workbook": "the workbook lacks the Home or section sheets ims-xl writes",
    "sheet-missing": "a sheet the tool writes into (a section sheet, `xlwings.conf`) was deleted or renamed",
    "unexpected-header": "a section sheet's header was changed, or its columns moved",
    "sheet-xml-not-supported": "a sheet the tool writes into is stored in a form the in-place patcher does not "
                               "write (a namespace prefix such as x:worksheet, as some tools write); saving it once "
                               "in Excel or LibreOffice stores it plainly",
    "older-layout-in-excel": "a button on a book of an earlier ims-xl's layout: the command line upgrades it in place "
                             "(a backup first)",
    "stray-cell": "a sheet has a value far outside its table (Ctrl+End shows it in Excel)",
    "row-without-record": "a row shows a document (a supplier GSTIN or number) but has no hidden Portal Record: "
                          "rows come from the portal download (a total or a note under a table is left alone)",
    "record-cell-changed": "a row's hidden Portal Record was edited and cannot be read",
    "row-matches-two-records": "a document is on its sheet twice with different hidden records (a sort or copy "
                               "went wrong)",
    "unknown-section-sheet": "a row on Removed from Portal names a sheet that is not a section sheet",
    "not-enough-memory": "the workbook needs more memory to read than this PC (or the process's limit) has left",
    "text-too-long": "a text is longer than an Excel cell holds (32,767 characters)",
    "no-vba-project": "`repoint --vba`: the workbook has no VBA project to replace",
    "workbook-has-records": "xlwings Lite: Open Downloaded JSON on a workbook that already holds records",
    # The purchase register
    "not-a-csv": "the register is not a CSV file that can be read (an Excel file renamed .csv?)",
    "empty-register": "the register has no header row",
    "missing-columns": "the register lacks a column the matching needs (GSTIN, number, date, amounts)",
    "bad-register-value": "no register row can be read (each has a date, amount or GSTIN that is not one); "
                          "with some readable rows the bad cells are listed instead (Register problems)",
}


def input_errors_table() -> str:
    """The README's table of the reasons the tool refuses input, as Markdown."""
    lines = ["| code | when |", "|---|---|"]
    lines += [f"| `{code}` | {explanation} |" for code, explanation in INPUT_ERRORS.items()]
    return "\n".join(lines)
