"""The live-Excel port (``XlwingsPort``) against the file port, on a fake of xlwings.

Each scenario runs twice, once through ``FilePort`` on a workbook file and once through
``XlwingsPort`` on ``tests.xlwings_fake.FakeBook`` (the same file as Excel would show it), and
checks what a user would then see in the cells. Further tests count the calls to Excel, check
that portal text reaches Excel as text, and run the button entry points of ``ims_xl.macros``.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ims_xl import actions, macros
from ims_xl.core import jsonio, layout
from ims_xl.core.book import BookState, LogEntry
from ims_xl.core.gstin import with_check_character
from ims_xl.core.itc import itc_impact, itc_rows
from ims_xl.core.sections import BY_KEY, BY_SHEET, FIRST_DATA_ROW, SECTIONS
from ims_xl.excel import xlwings_port
from ims_xl.excel.template import this_pythons_macros
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.fileport import FilePort
from ims_xl.files.portal import read_portal_file
from tests.conftest import SAMPLE, open_book
from tests.xlwings_fake import FakeBook, FakeComError

NOW = datetime(2025, 11, 5, 10, 30)
STAMP = "2025-11-05 10:30:00"
RECIPIENT = "27AAPFU0939F1ZV"  # the sample's recipient
HYPERLINK = '=HYPERLINK("http://example.invalid","Rajesh Steel")'  # the sample's second B2B trade name
ERROR_PENDING = "ERROR [Status] The portal does not allow Pending for this record; choose Accept or Reject"
LONG_REMARKS = "; ".join(["Checked with the ledger"] * 11)  # over the portal's 250 characters: an error in Remarks
ERROR_REMARKS = f"ERROR [Remarks] Remarks have {len(LONG_REMARKS)} characters; the portal takes at most 250"
# Keys of a downloaded record the upload does not send back: display-only, or replaced by the inputs.
NOT_ECHOED = {"tradenm", "srcfilstatus", "ispendactblocked", "isRemarksBlocked", "isItcRedReqBlocked", "hash",
              "ItcAvailabilityCheck", "action", "remarks"}
FIRST_LOG_ROW = layout.CHANGE_LOG_TABLE.first_row


def sample_document() -> dict[str, Any]:
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the two adapters --------------------------------------------------------------------------


@dataclass
class Adapter:
    """One workbook behind one of the two ports."""

    kind: str  # "file" or "excel"
    path: Path
    fake: FakeBook | None = None

    @classmethod
    def on(cls, kind: str, path: Path) -> Adapter:
        return cls(kind, path, FakeBook.from_file(path) if kind == "excel" else None)

    def port(self) -> FilePort | XlwingsPort:
        """A new port, as each command or button press makes (the Excel book stays open)."""
        return FilePort(self.path) if self.fake is None else XlwingsPort(self.fake)

    def view(self) -> FakeBook:
        """The cells as a user sees them: the file as opened in Excel, or the open book itself."""
        return FakeBook.from_file(self.path) if self.fake is None else self.fake


def cell(view: FakeBook, sheet: str, row: int, field: str) -> Any:
    return view.sheets[sheet].value_at(row, BY_SHEET[sheet].index(field) + 1)


def column(view: FakeBook, sheet: str, field: str, rows: int) -> list[Any]:
    return [cell(view, sheet, FIRST_DATA_ROW + offset, field) for offset in range(rows)]


def home(view: FakeBook, field: str) -> Any:
    cell = layout.HOME_FIELD[field].cell
    return view.sheets[layout.HOME].value_at(cell.row, cell.column)


def summary_row(view: FakeBook, index: int) -> dict[str, Any]:
    """Row ``index`` of the Home summary table (0: B2B ... 8: Total), by header."""
    table = layout.SUMMARY_TABLE
    row = table.first_row + index
    return {header: view.sheets[layout.HOME].value_at(row, table.left + offset)
            for offset, header in enumerate(table.headers)}


def log_lines(view: FakeBook) -> list[list[Any]]:
    sheet = view.sheets[layout.CHANGE_LOG]
    lines = []
    row = FIRST_LOG_ROW
    while sheet.value_at(row, 1) is not None:
        lines.append(sheet.row_values(row, len(layout.CHANGE_LOG_HEADERS)))
        row += 1
    return lines


def assert_protected_as_before(adapter: Adapter) -> None:
    """Home and the section sheets are protected again, with filtering and sorting still allowed."""
    if adapter.fake is None:
        return
    for name in (layout.HOME, *(s.sheet for s in SECTIONS)):
        api = adapter.fake.sheets[name].api
        assert api.protected, name
    written = [adapter.fake.sheets[s.sheet].api.protect_options for s in SECTIONS]
    for options in written:
        if options:  # sheets the port wrote to were protected again by the port
            assert options["AllowFiltering"] and options["AllowSorting"] and options["Contents"]


@pytest.fixture
def empty_book(tmp_path: Path) -> Path:
    """A new workbook with no records, as `ims-xl template` makes it."""
    path = tmp_path / "empty" / "IMS.xlsm"
    path.parent.mkdir()
    FilePort(path, new=True, macros=this_pythons_macros).save(BookState(), None, None)
    return path


@pytest.fixture(params=["file", "excel"])
def adapter(request: pytest.FixtureRequest, sample_book: Path) -> Adapter:
    return Adapter.on(request.param, sample_book)


# --- scenarios ---------------------------------------------------------------------------------


def set_inputs(adapter: Adapter, change: Callable[[BookState], None]) -> None:
    """What a user's typing amounts to: the inputs changed and saved through the port."""
    port = adapter.port()
    state = port.load()
    change(state)
    port.save(state, None, frozenset({"status", "remarks", "itc"}))


def two_mistakes_two_good_changes(state: BookState) -> None:
    b2b, cn = state.entries["b2b"], state.entries["b2bcn"]
    b2b[0].status, b2b[0].remarks = "Accept", LONG_REMARKS  # remarks too long
    b2b[1].status, b2b[1].remarks = "Reject", "Not received"
    cn[0].status = "Pending"  # CN-0007: the download blocks Pending
    cn[1].status, cn[1].itc, cn[1].remarks = "Accept", "No", "ITC never availed"  # D7: a remark with No


def test_validate_writes_each_finding_on_its_row(adapter: Adapter) -> None:
    set_inputs(adapter, two_mistakes_two_good_changes)

    outcome = actions.validate_book(adapter.port(), now=NOW)

    assert outcome.message == "Validated 12 records: 1 error on B2B, 1 error on B2B-CN"
    assert not outcome.ok
    view = adapter.view()
    assert column(view, "B2B", "sheet_errors", 5) == [ERROR_REMARKS, None, None, None, None]
    assert column(view, "B2B-CN", "sheet_errors", 3) == [ERROR_PENDING, None, None]
    for section in SECTIONS:
        if section.sheet not in ("B2B", "B2B-CN"):
            assert column(view, section.sheet, "sheet_errors", 3) == [None] * 3, section.sheet
    # The inputs are as the user left them, next to the findings.
    assert column(view, "B2B", "status", 4) == ["Accept", "Reject", "Accept", "Pending"]
    assert column(view, "B2B", "remarks", 4) == [LONG_REMARKS, "Not received", None,
                                                 "Awaiting delivery proof"]
    assert column(view, "B2B-CN", "status", 2) == ["Pending", "Accept"]
    assert column(view, "B2B-CN", "itc", 2) == [None, "No"]
    # Home: the last action and the summary (sheet, records, N/A/R/P counts ... errors, warnings).
    assert home(view, "last_action") == f"{STAMP} Validate: {outcome.message}"
    b2b = summary_row(view, 0)
    counts = ("Sheet", "Records", "No Action", "Accept", "Reject", "Pending")
    assert [b2b[h] for h in counts] == ["B2B", 4, 0, 2, 1, 1] and (b2b["Errors"], b2b["Warnings"]) == (1, 0)
    assert [summary_row(view, 4)[h] for h in counts] == ["B2B-CN", 2, 0, 1, 0, 1]
    total = summary_row(view, 8)
    assert (total["Sheet"], total["Records"], total["Errors"], total["Warnings"]) == ("Total", 12, 2, 0)
    assert [line[1] for line in log_lines(view)] == ["Open", "Validate"]
    assert_protected_as_before(adapter)

    # Read back through the port, as the next button press would.
    state = adapter.port().load()
    assert [e.sheet_errors for e in state.entries["b2b"]] == [ERROR_REMARKS, "", "", ""]
    assert [e.sheet_errors for e in state.entries["b2bcn"]] == [ERROR_PENDING, ""]
    assert [(e.status, e.remarks) for e in state.entries["b2b"][:2]] == [
        ("Accept", LONG_REMARKS), ("Reject", "Not received")]
    assert state.log[-1] == LogEntry(STAMP, "Validate", outcome.message)


def test_validating_again_after_the_fix_clears_the_findings(adapter: Adapter) -> None:
    set_inputs(adapter, two_mistakes_two_good_changes)
    actions.validate_book(adapter.port(), now=NOW)

    def fix(state: BookState) -> None:
        state.entries["b2b"][0].remarks = None
        state.entries["b2bcn"][0].status = "Reject"

    set_inputs(adapter, fix)
    outcome = actions.validate_book(adapter.port(), now=NOW)

    assert outcome.ok and outcome.message == "Validated 12 records: no errors"
    view = adapter.view()
    for section in SECTIONS:
        assert column(view, section.sheet, "sheet_errors", 5) == [None] * 5, section.sheet
    assert (summary_row(view, 8)["Errors"], summary_row(view, 8)["Warnings"]) == (0, 0)


def test_generate_with_no_changes_writes_an_upload_with_no_records(adapter: Adapter, tmp_path: Path) -> None:
    target = tmp_path / "upload.json"

    outcome = actions.generate_upload(adapter.port(), lambda state, moment: target, now=NOW)

    assert outcome.ok
    assert outcome.message == f"No changes since the download; the upload file holds no records: {target}"
    assert jsonio.loads(target.read_text(encoding="utf-8")) == {"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": {}}
    view = adapter.view()
    assert log_lines(view)[-1] == [STAMP, "Generate", outcome.message, "upload.json", sha256(target)]
    assert home(view, "last_action") == f"{STAMP} Generate: {outcome.message}"
    assert adapter.port().load().log[-1].sha256 == sha256(target)


def test_generate_after_changes_sends_the_downloaded_values_with_the_new_actions(adapter: Adapter,
                                                                                 tmp_path: Path) -> None:
    def decide(state: BookState) -> None:
        b2b, cn = state.entries["b2b"], state.entries["b2bcn"]
        b2b[0].status, b2b[0].remarks = "Reject", "Not received"
        b2b[3].status, b2b[3].remarks = "Accept", None  # was Pending, with remarks
        cn[1].status, cn[1].itc, cn[1].remarks = "Accept", "No", "ITC never availed"  # D7: sent with Accept

    set_inputs(adapter, decide)
    target = tmp_path / "upload.json"

    outcome = actions.generate_upload(adapter.port(), lambda state, moment: target, now=NOW)

    assert outcome.ok, outcome.details
    assert outcome.message == f"Saved the upload JSON: {target}, 3 records"
    downloaded = sample_document()["imsDetails"]

    def sent(raw: dict[str, Any], **inputs: Any) -> dict[str, Any]:
        return {**{k: v for k, v in raw.items() if k not in NOT_ECHOED}, **inputs}

    expected = {
        "b2b": [sent(downloaded["b2b"][0], action="R", prev_status="N", remarks="Not received"),
                sent(downloaded["b2b"][3], action="A", prev_status="P")],
        "b2bcn": [sent(downloaded["b2bcn"][1], action="A", prev_status="N", remarks="ITC never availed",
                       itcRedReq="N")],
    }
    document = jsonio.loads(target.read_text(encoding="utf-8"))
    assert document["rtin"] == RECIPIENT and document["reqtyp"] == "SAVE"
    assert document["invdata"] == expected
    # Exactly the downloaded digits and key order: 142700 stays an integer, 120932.18 exact.
    first = document["invdata"]["b2b"][0]
    assert list(first) == list(expected["b2b"][0])
    assert first["val"] == 142700 and isinstance(first["val"], int)
    assert first["txval"] == Decimal("120932.18")

    view = adapter.view()
    assert column(view, "B2B", "status", 4) == ["Reject", "No Action", "Accept", "Accept"]
    assert column(view, "B2B", "remarks", 4) == ["Not received", None, None, None]
    for section in SECTIONS:
        assert column(view, section.sheet, "sheet_errors", 4) == [None] * 4, section.sheet
    assert log_lines(view)[-1] == [STAMP, "Generate", outcome.message, "upload.json", sha256(target)]
    assert_protected_as_before(adapter)


def test_generate_refuses_while_there_are_errors(adapter: Adapter, tmp_path: Path) -> None:
    set_inputs(adapter, two_mistakes_two_good_changes)
    target = tmp_path / "upload.json"

    outcome = actions.generate_upload(adapter.port(), lambda state, moment: target, now=NOW)

    assert not outcome.ok and not target.exists()
    assert outcome.message.startswith("No upload file written: 2 errors to fix first")
    view = adapter.view()
    assert cell(view, "B2B-CN", FIRST_DATA_ROW, "sheet_errors") == ERROR_PENDING


def error_file(tmp_path: Path, *, with_new_record: bool) -> Path:
    """The portal's error file for an upload of the sample: its records under imsDetailsErr."""
    document = sample_document()
    details = document.pop("imsDetails")
    details["b2b"][1]["error_msg"] = "IMSSAV0012: The invoice was already actioned"
    if with_new_record:  # a record the workbook does not hold
        details["b2bdn"].append({**details["b2bdn"][0], "nt_num": "DN/25/099", "error_msg": "Not found"})
    path = tmp_path / "error.json"
    path.write_text(jsonio.dumps({**document, "imsDetailsErr": details}), encoding="utf-8")
    return path


@pytest.mark.parametrize("with_new_record", [False, True], ids=["rows-unchanged", "record-added"])
def test_error_file_lands_on_the_rows_it_names(adapter: Adapter, tmp_path: Path, with_new_record: bool) -> None:
    path = error_file(tmp_path, with_new_record=with_new_record)

    outcome = actions.open_error_file(adapter.port(), read_portal_file(path), path.name, now=NOW)

    view = adapter.view()
    assert column(view, "B2B", "portal_errors", 5) == [
        None, "IMSSAV0012: The invoice was already actioned", None, None, None]
    if with_new_record:
        assert outcome.message == ("Marked 2 rows with GST portal errors; added 1 records that were not in "
                                   "the workbook")
        assert column(view, "B2B-DN", "number", 3) == ["DN/25/014", "DN/25/099", None]
        assert column(view, "B2B-DN", "portal_errors", 2) == [None, "Not found"]
        assert cell(view, "B2B-DN", FIRST_DATA_ROW + 1, "refresh_note") == (
            "Added from the portal's error file: choose its Status (not counted in the ITC figures until then)")
        assert cell(view, "B2B-DN", FIRST_DATA_ROW + 1, "status") is None
    else:
        assert outcome.message == "Marked 1 row with GST portal errors"
        assert column(view, "B2B-DN", "number", 2) == ["DN/25/014", None]
    for section in SECTIONS:
        if section.sheet not in ("B2B", "B2B-DN"):
            assert column(view, section.sheet, "portal_errors", 3) == [None] * 3, section.sheet
    assert log_lines(view)[-1] == [STAMP, "Errors", outcome.message, "error.json", None]

    state = adapter.port().load()
    assert [e.portal_errors for e in state.entries["b2b"]] == [
        "", "IMSSAV0012: The invoice was already actioned", "", ""]
    assert len(state.all_entries()) == (13 if with_new_record else 12)


@pytest.mark.parametrize("kind", ["file", "excel"])
def test_open_download_fills_all_eight_sections(kind: str, empty_book: Path, sample_json: Path) -> None:
    adapter = Adapter.on(kind, empty_book)

    outcome = actions.open_download(adapter.port(), read_portal_file(sample_json), sample_json.name, now=NOW)

    assert outcome.message == ("Opened 12 records from sample_download.json (B2B 4, B2BA 1, B2B-DN 1, B2B-DNA 1, "
                               "B2B-CN 2, B2B-CNA 1, ECO 1, ECOA 1)")
    downloaded = sample_document()["imsDetails"]
    view = adapter.view()
    state = adapter.port().load()
    for section in SECTIONS:
        numbers = [raw[section.number_key] for raw in downloaded[section.key]]
        assert column(view, section.sheet, "number", len(numbers) + 1) == [*numbers, None], section.sheet
        assert [e.record.number for e in state.entries[section.key]] == numbers
        assert [e.record.raw for e in state.entries[section.key]] == downloaded[section.key]
        statuses = [{"N": "No Action", "A": "Accept", "P": "Pending"}[raw["action"]] for raw in
                    downloaded[section.key]]
        assert column(view, section.sheet, "status", len(statuses)) == statuses
    assert (home(view, "gstin"), home(view, "period"), home(view, "source_file")) == (
        RECIPIENT, "102025", "sample_download.json")
    assert cell(view, "B2B", FIRST_DATA_ROW, "val") == 142700.0
    assert cell(view, "B2B", FIRST_DATA_ROW, "date") == datetime(2025, 10, 4)
    assert [summary_row(view, 8)[h] for h in ("Sheet", "Records", "No Action", "Accept", "Reject", "Pending")] == [
        "Total", 12, 10, 1, 0, 1]
    assert [line[1:3] for line in log_lines(view)] == [["Open", outcome.message]]


def test_opening_a_smaller_download_leaves_no_old_rows(adapter: Adapter, tmp_path: Path) -> None:
    document = sample_document()
    document["imsDetails"] = {"b2b": document["imsDetails"]["b2b"][:2]}
    smaller = tmp_path / "smaller.json"
    smaller.write_text(jsonio.dumps(document), encoding="utf-8")

    actions.open_download(adapter.port(), read_portal_file(smaller), smaller.name, now=NOW)

    view = adapter.view()
    b2b = BY_KEY["b2b"]
    assert column(view, "B2B", "number", 3) == ["SGT/2025/0417", "000123", None]
    for row in (FIRST_DATA_ROW + 2, FIRST_DATA_ROW + 3):
        assert view.sheets["B2B"].row_values(row, len(b2b.columns)) == [None] * len(b2b.columns)
    for section in SECTIONS[1:]:
        width = len(section.columns)
        assert view.sheets[section.sheet].row_values(FIRST_DATA_ROW, width) == [None] * width, section.sheet
    state = adapter.port().load()
    assert [len(state.entries[s.key]) for s in SECTIONS] == [2, 0, 0, 0, 0, 0, 0, 0]


def test_both_ports_leave_the_same_cells(sample_book: Path, tmp_path: Path) -> None:
    """Validate, then an error file that adds a row: every visible sheet ends cell for cell alike."""
    views = {}
    for kind in ("file", "excel"):
        folder = tmp_path / kind
        folder.mkdir()
        book = folder / sample_book.name
        shutil.copyfile(sample_book, book)
        adapter = Adapter.on(kind, book)
        set_inputs(adapter, two_mistakes_two_good_changes)
        actions.validate_book(adapter.port(), now=NOW)
        path = error_file(folder, with_new_record=True)
        actions.open_error_file(adapter.port(), read_portal_file(path), path.name, now=NOW)
        views[kind] = adapter.view()
    for name in (layout.HOME, *(s.sheet for s in SECTIONS), layout.NOT_IN_IMS, layout.REMOVED, layout.CHANGE_LOG):
        assert views["excel"].sheets[name].cells == views["file"].sheets[name].cells, name


# --- calls to Excel ----------------------------------------------------------------------------


def synthetic_download(count: int) -> dict[str, Any]:
    records = []
    for i in range(count):
        supplier = with_check_character(f"27AAB{chr(65 + i % 26)}S{1000 + i % 97:04d}B1Z")
        records.append({
            "stin": supplier, "tradenm": f"Supplier {i}", "inum": f"INV/{i:05d}", "idt": "04-10-2025",
            "inv_typ": "R", "val": Decimal("1180.00"), "pos": "27", "txval": Decimal("1000.00"),
            "iamt": Decimal("180.00"), "camt": 0, "samt": 0, "cess": 0, "action": "N", "srcform": "R1",
            "rtnprd": "102025", "srcfilstatus": "Filed", "ispendactblocked": "N", "isRemarksBlocked": "N",
        })
    return {"gstin": RECIPIENT, "rtnprd": "102025", "imsDetails": {"b2b": records}}


def calls_to_validate(tmp_path: Path, count: int) -> tuple[FakeBook, actions.Outcome]:
    download = tmp_path / f"download-{count}.json"
    download.write_text(jsonio.dumps(synthetic_download(count)), encoding="utf-8")
    fake = FakeBook.from_file(open_book(download, tmp_path / f"book-{count}.xlsm"))
    port = XlwingsPort(fake)
    state = port.load()
    for entry in state.entries["b2b"][::10]:  # every tenth row: Accept with too long remarks, an error
        entry.status, entry.remarks = "Accept", LONG_REMARKS
    port.save(state, None, frozenset({"status", "remarks"}))
    fake.calls.clear()
    return fake, actions.validate_book(XlwingsPort(fake), now=NOW)


def test_validate_makes_as_many_calls_to_excel_for_500_rows_as_for_50(tmp_path: Path) -> None:
    small, small_outcome = calls_to_validate(tmp_path, 50)
    large, large_outcome = calls_to_validate(tmp_path, 500)

    assert small_outcome.message == "Validated 50 records: 5 errors on B2B"
    assert large_outcome.message == "Validated 500 records: 50 errors on B2B"
    assert len(large.calls) == len(small.calls)
    assert [call[:2] for call in large.calls] == [call[:2] for call in small.calls]
    # Each section sheet: one look at the used range, then one read (the header row with the data);
    # B2B gets one write, of the findings column from the first to the last finding.
    for section in SECTIONS:
        assert large.count("used_range", section.sheet) == 1, section.sheet
        assert large.count("read", section.sheet) == 1, section.sheet
    assert large.count("write", "B2B") == 1
    errors = layout.column_letter(BY_KEY["b2b"].index("sheet_errors") + 1)
    assert ("write", "B2B", f"{errors}{FIRST_DATA_ROW}:{errors}{FIRST_DATA_ROW + 490}") in large.calls
    sheet = large.sheets["B2B"]
    assert sheet.value_at(FIRST_DATA_ROW + 490, BY_KEY["b2b"].index("sheet_errors") + 1) == ERROR_REMARKS
    assert sheet.value_at(FIRST_DATA_ROW + 491, BY_KEY["b2b"].index("sheet_errors") + 1) is None


def test_open_download_makes_as_many_calls_to_excel_for_500_rows_as_for_50(tmp_path: Path,
                                                                           empty_book: Path) -> None:
    calls = {}
    for count in (50, 500):
        download = tmp_path / f"download-{count}.json"
        download.write_text(jsonio.dumps(synthetic_download(count)), encoding="utf-8")
        fake = FakeBook.from_file(empty_book)
        actions.open_download(XlwingsPort(fake), read_portal_file(download), download.name, now=NOW)
        assert fake.sheets["B2B"].value_at(FIRST_DATA_ROW + count - 1, 3) == f"INV/{count - 1:05d}"
        calls[count] = [call[:2] for call in fake.calls]
    assert calls[50] == calls[500]
    assert calls[500].count(("write", "B2B")) == 1


def test_a_large_sheet_goes_to_excel_in_blocks_of_rows(tmp_path: Path, empty_book: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 rows in one Range.value call is more than 32-bit Excel marshals: reads and writes go in
    blocks of BLOCK_ROWS rows (here 100, so that 500 rows show it), and the values arrive whole."""
    monkeypatch.setattr(xlwings_port, "BLOCK_ROWS", 100)
    download = tmp_path / "download-500.json"
    download.write_text(jsonio.dumps(synthetic_download(500)), encoding="utf-8")
    fake = FakeBook.from_file(empty_book)
    actions.open_download(XlwingsPort(fake), read_portal_file(download), download.name, now=NOW)
    writes = [call for call in fake.calls if call[:2] == ("write", "B2B")]
    assert len(writes) == 5
    assert writes[0][2].endswith(f"{FIRST_DATA_ROW + 99}") and writes[-1][2].endswith(f"{FIRST_DATA_ROW + 499}")
    number = BY_KEY["b2b"].index("number") + 1
    assert [fake.sheets["B2B"].value_at(FIRST_DATA_ROW + i, number) for i in (0, 99, 100, 499)] == [
        "INV/00000", "INV/00099", "INV/00100", "INV/00499"]
    fake.calls.clear()
    outcome = actions.validate_book(XlwingsPort(fake), now=NOW)
    assert outcome.message.startswith("Validated 500 records")
    reads = [call[2] for call in fake.calls if call[:2] == ("read", "B2B")]
    spans = [int(end.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) - int(start.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) + 1
             for start, end in (address.split(":") for address in reads)]
    assert len(reads) in (5, 6) and max(spans) <= 100 and sum(spans) >= 500  # from the header row or the first


# --- portal text stays text --------------------------------------------------------------------


def test_portal_text_reaches_excel_as_text(empty_book: Path, sample_json: Path) -> None:
    fake = FakeBook.from_file(empty_book)
    actions.open_download(XlwingsPort(fake), read_portal_file(sample_json), sample_json.name, now=NOW)

    sheet = fake.sheets["B2B"]
    b2b = BY_KEY["b2b"]
    name, number = (FIRST_DATA_ROW + 1, b2b.index("tradenm") + 1), (FIRST_DATA_ROW + 1, b2b.index("number") + 1)
    assert sheet.written[name] == "'" + HYPERLINK  # the apostrophe makes Excel store text
    assert sheet.value_at(*name) == HYPERLINK
    assert sheet.range(name).value == HYPERLINK
    assert sheet.written[number] == "'000123"
    assert sheet.range(number).value == "000123"
    assert all(not s.formulas for s in fake.sheets)
    assert home(fake, "period") == "102025"
    state = XlwingsPort(fake).load()
    assert state.entries["b2b"][1].record.model.tradenm == HYPERLINK
    assert state.home.period == "102025"


def test_the_fake_takes_values_as_excel_does() -> None:
    """The checks above mean something only if the fake, like Excel, turns bare text into formulas."""
    book = FakeBook()
    sheet = book.add_sheet("S")
    sheet.range((1, 1), (1, 4)).value = [[HYPERLINK, "000123", "'000123", 7]]
    assert sheet.formulas == {(1, 1): HYPERLINK}
    assert sheet.range((1, 1), (1, 4)).value == [None, 123.0, "000123", 7.0]
    with pytest.raises(TypeError):
        sheet.range((2, 1)).value = [[Decimal("1.23456")]]
    protected = book.add_sheet("P", protected=True)
    with pytest.raises(FakeComError):
        protected.range((1, 1)).value = [["x"]]


# --- the buttons -------------------------------------------------------------------------------


def test_validate_button_shows_one_message_with_the_outcome(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)

    macros.validate_sheet(port=XlwingsPort(fake))

    assert fake.app.alerts == [{"prompt": "Validated 12 records: no errors", "title": "ims-xl", "buttons": "ok",
                                "mode": "info"}]
    assert fake.app.screen_updating is True and fake.app.status_bar is False


def test_validate_button_with_errors_says_please_fix(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    set_inputs(Adapter("excel", sample_book, fake), two_mistakes_two_good_changes)

    macros.validate_sheet(port=XlwingsPort(fake))

    [alert] = fake.app.alerts
    assert alert["prompt"] == "Validated 12 records: 1 error on B2B, 1 error on B2B-CN"
    assert (alert["title"], alert["mode"]) == ("ims-xl: please fix", "critical")


def test_a_download_that_is_not_there_is_one_sentence_naming_it(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)

    macros.open_json(port=XlwingsPort(fake), path="nonexistent.json")  # raises nothing

    [alert] = fake.app.alerts
    assert alert["mode"] == "critical" and alert["title"] == "ims-xl: cannot do that"
    assert alert["prompt"] == "nonexistent.json: no such file"
    assert fake.count("write") == fake.count("clear") == 0


def test_an_unexpected_error_is_shown_and_logged(sample_book: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "ims-xl-error.log"
    monkeypatch.setattr(macros, "LOG_FILE", log)

    def broken(port: Any, **kwargs: Any) -> actions.Outcome:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(actions, "validate_book", broken)
    fake = FakeBook.from_file(sample_book)

    macros.validate_sheet(port=XlwingsPort(fake))

    [alert] = fake.app.alerts
    assert alert["mode"] == "critical"
    assert alert["prompt"] == f"Unexpected error: RuntimeError: disk on fire\n\nDetails were written to {log}"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: disk on fire" in text and "broken" in text


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_open_button_asks_before_replacing_records(sample_book: Path, tmp_path: Path, answer: str) -> None:
    document = sample_document()
    document["imsDetails"] = {"b2b": document["imsDetails"]["b2b"][:1]}
    newer = tmp_path / "newer.json"
    newer.write_text(jsonio.dumps(document), encoding="utf-8")
    fake = FakeBook.from_file(sample_book, answers=[answer])

    macros.open_json(port=XlwingsPort(fake), path=str(newer))

    question = fake.app.alerts[0]
    assert question["buttons"] == "yes_no"
    assert question["prompt"].startswith("This workbook already holds 12 records. Replace them")
    state = XlwingsPort(fake).load()
    if answer == "yes":
        assert fake.app.alerts[1]["prompt"] == "Opened 1 records from newer.json (B2B 1)"
        assert len(state.all_entries()) == 1
    else:
        assert len(fake.app.alerts) == 1
        assert fake.count("write") == fake.count("clear") == 0
        assert len(state.all_entries()) == 12


def test_generate_button_writes_the_upload_beside_the_book(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)

    macros.generate_json(port=XlwingsPort(fake))

    [alert] = fake.app.alerts
    [upload] = sample_book.parent.glob("IMS_upload_*.json")
    assert alert["prompt"] == f"No changes since the download; the upload file holds no records: {upload}"
    assert upload.name.startswith(f"IMS_upload_{RECIPIENT}_")


# --- filters -----------------------------------------------------------------------------------


def test_clear_filters_shows_every_row_inside_unprotect_and_protect(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    fake.sheets["B2B"].api.filter(6, 7)

    XlwingsPort(fake).clear_filters()

    calls = [call for call in fake.calls if call[1] == "B2B"]
    assert calls == [("api", "B2B", "Unprotect"), ("api", "B2B", "FilterMode"), ("api", "B2B", "ShowAllData"),
                     ("api", "B2B", "Rows.Hidden=False"), ("api", "B2B", "Protect")]
    for section in SECTIONS[1:]:  # not filtered: no ShowAllData, which Excel would refuse
        assert [call[2] for call in fake.calls if call[1] == section.sheet] == [
            "Unprotect", "FilterMode", "Rows.Hidden=False", "Protect"], section.sheet
    api = fake.sheets["B2B"].api
    assert not api.hidden_rows and api.protected
    assert api.protect_options["AllowFiltering"] and api.protect_options["AllowSorting"]
    assert {call[0] for call in fake.calls} == {"api"}  # no cell read or written


def test_validate_clears_filters_before_reading(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    fake.sheets["B2B-CN"].api.filter(5)

    actions.validate_book(XlwingsPort(fake), now=NOW)

    show_all = fake.calls.index(("api", "B2B-CN", "ShowAllData"))
    first_read = next(i for i, call in enumerate(fake.calls) if call[0] == "read")
    assert show_all < first_read
    assert not fake.sheets["B2B-CN"].api.hidden_rows


# --- rows a user disturbed ---------------------------------------------------------------------


def test_a_row_with_no_portal_record_is_one_sentence_from_the_button(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    b2b = BY_KEY["b2b"]
    row = FIRST_DATA_ROW + 4  # below the last record: an invoice typed in as if on a register
    fake.sheets["B2B"].type_in(row, b2b.index("stin") + 1, "27AABCS1429B1ZU")
    fake.sheets["B2B"].type_in(row, b2b.index("number") + 1, "MY-OWN-1")
    fake.sheets["B2B"].type_in(row, b2b.index("status") + 1, "Accept")

    macros.validate_sheet(port=XlwingsPort(fake))

    [alert] = fake.app.alerts
    assert alert["mode"] == "critical" and alert["title"] == "ims-xl: cannot do that"
    assert alert["prompt"].startswith("sample.xlsm: sheet B2B, row 9: this row shows a document but has no hidden "
                                      "'Portal Record': type invoices in the purchase register, not on the IMS sheet")
    assert fake.count("write") == fake.count("clear") == 0


def test_a_blank_row_inside_the_data_does_not_shift_the_findings(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    sheet, b2b = fake.sheets["B2B"], BY_KEY["b2b"]
    number, errors = b2b.index("number") + 1, b2b.index("sheet_errors") + 1
    for c in range(1, len(b2b.columns) + 1):  # the user unprotected the sheet and cleared row 6
        sheet.type_in(FIRST_DATA_ROW + 1, c, None)
    # 2025260000004512 (row 7): remarks over 250 characters on it are an error.
    sheet.type_in(FIRST_DATA_ROW + 2, b2b.index("remarks") + 1, "'" + LONG_REMARKS)

    outcome = actions.validate_book(XlwingsPort(fake), now=NOW)

    cleared = "; 1 downloaded record is no longer on the sheets (B2B 1)"  # the cleared row is noticed
    assert outcome.message.startswith("Validated 11 records: 1 error on B2B" + cleared)
    shown = {sheet.value_at(r, number): sheet.value_at(r, errors) for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 5)
             if sheet.value_at(r, number) or sheet.value_at(r, errors)}
    assert shown == {"SGT/2025/0417": None, "2025260000004512": ERROR_REMARKS, "HL-9981": None}
    assert actions.validate_book(XlwingsPort(fake), now=NOW).message.startswith(
        "Validated 11 records: 1 error on B2B" + cleared)


def test_the_itc_table_on_home_follows_the_decisions(adapter: Adapter) -> None:
    """Issue 16: "ITC after your actions" is refreshed by Validate Sheet through either port."""
    set_inputs(adapter, two_mistakes_two_good_changes)
    actions.validate_book(adapter.port(), now=NOW)
    view = adapter.view()
    table = layout.ITC_TABLE
    shown = [[view.sheets[layout.HOME].value_at(table.first_row + r, table.left + c) for c in range(table.width)]
             for r in range(len(table.row_labels))]
    expected = itc_rows(itc_impact(adapter.port().load().all_entries()))
    assert [row[0] for row in shown] == [row[0] for row in expected] == list(table.row_labels)
    assert [[float(v) for v in row[1:]] for row in shown] == [[float(v) for v in row[1:]] for row in expected]
    change = shown[[label for _, label in layout.ITC_ROWS].index("Change from this upload")]
    assert change[1:] != [0.0] * 5  # the Reject of B2B row 6 and the Accept of a credit note moved it
