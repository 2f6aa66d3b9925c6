"""The one dd-mm-yyyy reader and Excel day converter every module uses."""

from __future__ import annotations

from datetime import date, datetime

from ims_xl.core.dates import DOCUMENT_SERIALS, from_serial, portal_date, portal_text, to_serial


def test_a_portal_date_reads_only_as_dd_mm_yyyy() -> None:
    assert portal_date("05-10-2025") == date(2025, 10, 5)
    assert portal_date("31-02-2025") is None  # no such day
    assert portal_date("2025-10-05") is None
    assert portal_date("5-10-2025") is None
    assert portal_date("") is None and portal_date(None) is None
    assert portal_text(date(2025, 4, 1)) == "01-04-2025"


def test_excel_serials_in_both_date_systems() -> None:
    assert from_serial(45_935) == date(2025, 10, 5)
    assert from_serial(44_473, date1904=True) == date(2025, 10, 5)  # 1,462 days fewer
    assert to_serial(date(2025, 10, 5)) == 45_935 and to_serial(date(2025, 10, 5), date1904=True) == 44_473
    assert to_serial(datetime(2025, 10, 5, 12)) == 45_935.5
    assert from_serial(61) == date(1900, 3, 1)  # Excel's phantom 29-02-1900 is day 60


def test_a_number_outside_the_window_is_no_date() -> None:
    assert from_serial(250_000, window=DOCUMENT_SERIALS) is None  # an amount in a date column
    assert from_serial(45_935, window=DOCUMENT_SERIALS) == date(2025, 10, 5)
    assert from_serial(0) is None and from_serial(True) is None
