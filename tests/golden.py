"""Golden files: a download plus the user's changes give exactly the expected upload.

Each case is ``tests/fixtures/<case>.ims.json`` (the download), ``<case>.changes.json`` (what
the user sets on which rows) and ``<case>.expected.json`` (the upload). To write the expected
files after a deliberate change of behaviour, run ``python -m tests.golden generate [--force]``
and read the diff before committing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ims_xl.core import jsonio
from ims_xl.core.book import BookState, Entry, entry_from_record
from ims_xl.core.upload import build_upload
from ims_xl.files.portal import read_portal_file

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECIPIENT = "27AAPFU0939F1ZV"


def cases() -> list[str]:
    return sorted(path.name.removesuffix(".ims.json") for path in FIXTURES.glob("*.ims.json"))


def apply_changes(entries: list[Entry], changes: list[dict[str, Any]]) -> None:
    """Set the user's inputs as a person would type them on the sheet."""
    for change in changes:
        [target] = [e for e in entries if e.section.key == change["section"] and e.record.number == change["number"]]
        target.status = change["status"]
        if "remarks" in change:
            target.remarks = change["remarks"] or None
        if "itc" in change:
            target.itc = change["itc"]
        if "declared" in change:
            target.declared = dict(change["declared"])


def state_for(case: str) -> BookState:
    download = read_portal_file(FIXTURES / f"{case}.ims.json")
    state = BookState()
    for record in download.records:
        state.entries[record.section.key].append(entry_from_record(record))
    return state


def upload_for(case: str) -> dict[str, Any]:
    state = state_for(case)
    apply_changes(state.all_entries(), json.loads((FIXTURES / f"{case}.changes.json").read_text()))
    document, _ = build_upload(state.all_entries(), RECIPIENT)
    return document


def expected_text(case: str) -> str:
    return (FIXTURES / f"{case}.expected.json").read_text(encoding="utf-8")


def render(document: dict[str, Any]) -> str:
    return jsonio.dumps(document, indent=2) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["generate"])
    parser.add_argument("--force", action="store_true", help="overwrite existing expected files")
    args = parser.parse_args()
    for case in cases():
        target = FIXTURES / f"{case}.expected.json"
        if target.exists() and not args.force:
            print(f"kept {target.name} (use --force to overwrite)")
            continue
        target.write_text(render(upload_for(case)), encoding="utf-8")
        print(f"wrote {target.name}")


if __name__ == "__main__":
    main()
