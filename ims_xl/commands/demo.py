"""``ims-xl demo``: the whole monthly flow on the bundled sample download, narrated."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from pathlib import Path

from .. import actions
from ..core import jsonio
from ..core.amounts import indian_money
from ..core.itc import itc_impact
from ..core.problems import InputError
from ..excel.template import this_pythons_macros
from ..files.backups import backup_folder, prune_backups
from ..files.fileport import FilePort
from ..files.portal import read_portal_file

SAMPLE_NAME = "sample_download.json"
# What a member of staff might decide for the sample: (sheet key, row, status, remarks, itc).
_DECISIONS = (
    ("b2b", 0, "Accept", None, None),
    ("b2b", 1, "Reject", "Not our purchase: no goods received", None),
    ("b2bcn", 1, "Accept", None, "Yes"),
    ("b2bdn", 0, "Pending", "Awaiting rate confirmation", None),
)


def _newer_download(download: Path, directory: Path) -> Path:
    """The sample a day after the upload: the portal took the decisions, and one supplier revised the
    invoice the demo rejected (so refresh resets that decision and says so)."""
    document = jsonio.loads(download.read_text(encoding="utf-8"))
    details = document["imsDetails"]
    for key, index, status, _, _ in _DECISIONS:
        details[key][index]["action"] = status[0]
    details["b2b"][1]["action"] = "N"  # a revised invoice comes back to No Action
    details["b2b"][1]["txval"] = Decimal("48000")
    details["b2b"][1]["iamt"] = Decimal("8640")
    newer = directory / "sample_download_newer.json"
    newer.write_text(jsonio.dumps(document), encoding="utf-8")
    return newer


def run_demo(directory: Path, say: Callable[[str], None], progress: Callable[[str], None]) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    download = directory / SAMPLE_NAME
    book = directory / "sample_download.xlsm"
    for stale in (book, *directory.glob("IMS_upload_*.json"), *directory.glob("sample_download-*.xlsm"),
                  directory / "sample_download_newer.json"):
        stale.unlink(missing_ok=True)
    with resources.as_file(resources.files("ims_xl").joinpath("data", SAMPLE_NAME)) as sample:
        shutil.copyfile(sample, download)
    say(f"1. Copied the sample IMS download to {download}")

    port = FilePort(book, new=True, macros=this_pythons_macros, progress=progress)
    outcome = actions.open_download(port, read_portal_file(download), download.name)
    say(f"2. {outcome.message}\n   Workbook: {book}")

    port = FilePort(book, progress=progress)
    state = port.load()
    for key, index, status, remarks, itc in _DECISIONS:
        entry = state.entries[key][index]
        entry.status, entry.remarks, entry.itc = status, remarks, itc
        say(f"3. {entry.section.sheet} {entry.record.number} ({entry.record.model.tradenm}): Status {status}"
            + (f", Remarks '{remarks}'" if remarks else "") + (f", ITC to be reduced {itc}" if itc else ""))
    port.save(state, None, frozenset({"status", "remarks", "itc"}))

    validated = actions.validate_book(FilePort(book, progress=progress))
    say(f"4. {validated.message}")
    for line in validated.details:
        say(f"     {line}")

    generated = actions.generate_upload(
        FilePort(book, progress=progress), lambda state, moment: directory / actions.default_upload_name(state, moment))
    if not generated.ok:
        raise InputError(f"demo: {generated.message}", code="demo-failed")
    say(f"5. {generated.message}")
    impact = itc_impact(FilePort(book, progress=progress).load().all_entries())
    say(f"6. ITC after your actions: {indian_money(impact.after_actions.total)} (change from this upload: "
        f"{indian_money(impact.change.total)}); 'ims-xl summary {book}' shows it by tax head")
    newer = _newer_download(download, directory)
    refreshed = actions.refresh_book(FilePort(book, progress=progress), read_portal_file(newer), newer.name)
    say(f"7. A day later the portal shows your decisions, and Rajesh Steel has revised invoice 000123 (which "
        f"you rejected): refreshed from {newer.name}\n   {refreshed.message}")
    prune_backups(book, keep=0)  # the demo's own book: the copies kept before each step are noise here
    with contextlib.suppress(OSError):
        backup_folder(book).rmdir()  # left only if it holds something else
    say(f"\nDone. Open {book} in Excel (enable macros) to see the rows: the reset Status is highlighted; "
        "decide it again, then Generate JSON File to Upload and upload the file on the portal's IMS dashboard "
        "(Offline > Upload JSON).")
    return 0
