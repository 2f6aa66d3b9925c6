"""The user's files are never touched: backups, open books, locks, read-only places, full disks.

Every case runs the command line as a user would and checks the exit code, the one line on
stderr, and that the workbook (and everything beside it) is exactly as it was.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ims_xl.cli import main
from ims_xl.files import backups, fileport, locks
from ims_xl.files.fileport import FilePort
from tests.conftest import open_book


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder with its bytes: 'nothing was written' means this does not change."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def one_error_line(err: str, code: str | None = None) -> str:
    """The CLI's one error line; with ``code``, it must end with that stable code in brackets."""
    assert err.count("\n") == 1 and err.startswith("ims-xl: error: "), err
    assert "Traceback" not in err
    if code is not None:
        assert err.endswith(f" [{code}]\n"), err
    return err


# --- backups: only the tool's own names ---------------------------------------------------------

USER_FILES = ("sample-20251015-signed.xlsm", "sample-20251015-final copy.xlsm", "sample-Oct_2025-review.xlsm",
              "sample-20251015-101010-final.xlsm", "sample-20251015-1010.xlsm", "sample-20251015-101010.xlsx")


def test_pruning_deletes_only_the_tools_own_backups(sample_book: Path) -> None:
    folder = sample_book.parent
    for name in USER_FILES:
        (folder / name).write_bytes(f"the user's own {name}".encode())
    # A backup an earlier release left beside the book, and an old one in the backups folder.
    (folder / "sample-20200101-000000.xlsm").write_bytes(sample_book.read_bytes())
    (folder / backups.BACKUP_FOLDER).mkdir()
    (folder / backups.BACKUP_FOLDER / "sample-20200101-000000.xlsm").write_bytes(sample_book.read_bytes())
    for _ in range(5):
        code, _, _ = run("-q", "validate", sample_book)
        assert code == 0
    for name in USER_FILES:
        assert (folder / name).read_bytes() == f"the user's own {name}".encode()
    kept = backups.backups_of(sample_book)
    assert len(kept) == 3 and not (folder / backups.BACKUP_FOLDER / "sample-20200101-000000.xlsm").exists()
    assert (folder / "sample-20200101-000000.xlsm").exists()  # beside the book: left alone
    assert all(p.parent == folder / backups.BACKUP_FOLDER for p in kept)
    # Beside the book: only the user's files, the book, and the one folder.
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*USER_FILES, "sample-20200101-000000.xlsm", "sample.xlsm", "sample_download.json", backups.BACKUP_FOLDER])
    assert all(backups.is_backup_of(sample_book, p) for p in kept)
    assert not any(p.name in USER_FILES for p in kept)


def test_backups_sort_by_time_then_number(tmp_path: Path) -> None:
    book = tmp_path / "BOOK.xlsm"
    names = ["BOOK-20251015-101010-10.xlsm", "BOOK-20251015-101010.xlsm", "BOOK-20251015-101010-2.xlsm",
             "BOOK-20241231-235959.xlsm", "BOOK-20251015-signed.xlsm"]
    (tmp_path / backups.BACKUP_FOLDER).mkdir()
    for name in names:
        (tmp_path / backups.BACKUP_FOLDER / name).write_bytes(b"x")
        (tmp_path / name).write_bytes(b"x")  # beside the book: not the tool's (an earlier release's, or the user's)
    assert [p.name for p in backups.backups_of(book)] == [
        "BOOK-20241231-235959.xlsm", "BOOK-20251015-101010.xlsm", "BOOK-20251015-101010-2.xlsm",
        "BOOK-20251015-101010-10.xlsm"]


# --- open elsewhere ------------------------------------------------------------------------------

@pytest.mark.parametrize(("marker", "program"), [
    ("~$sample.xlsm", "Excel"),
    (".~lock.sample.xlsm#", "LibreOffice"),
])
def test_a_book_open_in_another_program_is_refused(sample_book: Path, marker: str, program: str) -> None:
    (sample_book.parent / marker).write_bytes(b"owner")
    before = snapshot(sample_book.parent)
    for argv in (("validate", sample_book), ("generate", sample_book), ("reconcile", sample_book, "x.csv")):
        code, out, err = run("-q", *argv)
        assert code == 2 and out == ""
        line = one_error_line(err, "open-in-another-program")
        assert f"sample.xlsm: the workbook is open in {program}; close it there first" in line
        assert marker in err  # where a leftover marker is, if the program crashed
    assert snapshot(sample_book.parent) == before


def test_excels_owner_file_of_a_long_name_drops_two_characters(tmp_path: Path, sample_json: Path) -> None:
    book = open_book(sample_json, tmp_path / "client_october.xlsm")
    (tmp_path / "~$ient_october.xlsm").write_bytes(b"owner")
    before = book.read_bytes()
    code, _, err = run("-q", "validate", book)
    assert code == 2 and "open in Excel" in one_error_line(err, "open-in-another-program")
    assert book.read_bytes() == before


def test_open_force_onto_a_book_open_in_excel_is_refused(sample_book: Path, sample_json: Path) -> None:
    (sample_book.parent / "~$sample.xlsm").write_bytes(b"owner")
    before = sample_book.read_bytes()
    code, _, err = run("-q", "open", sample_json, "-o", sample_book, "--force")
    assert code == 2 and "open in Excel" in one_error_line(err, "open-in-another-program")
    assert sample_book.read_bytes() == before


def test_open_elsewhere_names_the_program(tmp_path: Path) -> None:
    book = tmp_path / "B.xlsm"
    assert locks.open_elsewhere(book) is None
    (tmp_path / ".~lock.B.xlsm#").write_text("x")
    assert locks.open_elsewhere(book) == "open in LibreOffice"
    (tmp_path / "~$B.xlsm").write_text("x")
    assert locks.open_elsewhere(book) == "open in Excel"
    # a short name never matches another book's owner file with its first characters dropped
    assert locks.open_elsewhere(tmp_path / "AB.xlsm") is None


# --- one command at a time ----------------------------------------------------------------------

@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locks, "LOCK_WAIT_SECONDS", 0.3)


def test_a_second_command_refuses_while_another_holds_the_book(sample_book: Path, short_wait: None) -> None:
    lock = locks.lock_file(sample_book)
    lock.write_text(json.dumps({"pid": os.getpid(), "host": __import__("socket").gethostname(),
                                "since": "2026-01-01T10:00:00", "token": "other"}))
    before = sample_book.read_bytes()
    code, _, err = run("-q", "validate", sample_book)
    assert code == 2
    assert "another ims-xl command is working on this workbook" in one_error_line(err, "workbook-busy")
    assert sample_book.read_bytes() == before and lock.exists()  # not ours to remove
    assert backups.backups_of(sample_book) == []


def test_a_lock_left_by_a_dead_process_is_taken_over(sample_book: Path, short_wait: None) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    lock = locks.lock_file(sample_book)
    lock.write_text(json.dumps({"pid": int(finished.stdout), "host": __import__("socket").gethostname(),
                                "since": "2026-01-01T10:00:00", "token": "dead"}))
    code, out, _ = run("-q", "validate", sample_book)
    assert code == 0 and "Validated" in out
    assert not lock.exists()


def test_the_lock_is_released_after_a_refusal_and_after_success(sample_book: Path) -> None:
    run("-q", "validate", sample_book)
    run("-q", "generate", sample_book, "-o", sample_book)
    assert not locks.lock_file(sample_book).exists()


def test_two_commands_at_once_both_keep_their_work(sample_book: Path) -> None:
    register = sample_book.parent / "register.csv"
    register.write_text("GSTIN of Supplier,Invoice Number,Invoice Date,Taxable Value,IGST,CGST,SGST,Cess\n")
    commands = [[sys.executable, "-m", "ims_xl.cli", "-q", "validate", str(sample_book)],
                [sys.executable, "-m", "ims_xl.cli", "-q", "reconcile", str(sample_book), str(register)]]
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    log = FilePort(sample_book).load().log
    assert {entry.action for entry in log} >= {"Open", "Validate", "Reconcile"}


def test_a_book_saved_elsewhere_meanwhile_is_not_overwritten(sample_book: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = fileport.rewrite_package
    users_version = sample_book.read_bytes() + b"\0"  # what Excel saved while the command worked

    def write_while_excel_saves(source, target, edits, progress=None):
        real_write(source, target, edits, progress)
        sample_book.write_bytes(users_version)

    monkeypatch.setattr(fileport, "rewrite_package", write_while_excel_saves)
    code, _, err = run("-q", "validate", sample_book)
    assert code == 2 and "was changed on disk while this command ran" in one_error_line(err, "changed-while-running")
    assert sample_book.read_bytes() == users_version
    assert backups.backups_of(sample_book) == []
    assert [p.name for p in sample_book.parent.iterdir() if p.name.startswith(".")] == []


# --- read-only ------------------------------------------------------------------------------------

@pytest.fixture
def read_only(sample_book: Path) -> Iterator[Path]:
    sample_book.chmod(0o444)
    yield sample_book
    sample_book.chmod(0o644)


def test_a_read_only_book_is_refused_before_any_work(read_only: Path) -> None:
    before = snapshot(read_only.parent)
    for argv in (("validate", read_only), ("generate", read_only)):
        code, out, err = run("-q", *argv)
        assert code == 2 and out == ""
        assert f"{read_only}: the workbook is read-only; nothing was written" in one_error_line(err, "read-only")
    assert snapshot(read_only.parent) == before  # in particular: no upload JSON


@pytest.fixture
def read_only_folder(sample_book: Path) -> Iterator[Path]:
    folder = sample_book.parent
    folder.chmod(0o555)
    yield sample_book
    folder.chmod(0o755)


def test_a_book_in_a_read_only_folder_is_refused_before_any_work(read_only_folder: Path) -> None:
    before = snapshot(read_only_folder.parent)
    code, out, err = run("-q", "generate", read_only_folder)
    assert code == 2 and out == ""
    assert "the folder is read-only; nothing was written" in one_error_line(err, "read-only")
    assert snapshot(read_only_folder.parent) == before


def test_an_upload_into_a_read_only_folder_is_refused_before_any_work(sample_book: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "uploads"
    elsewhere.mkdir()
    elsewhere.chmod(0o555)
    try:
        before = sample_book.read_bytes()
        code, _, err = run("-q", "generate", sample_book, "-o", elsewhere / "up.json")
        assert code == 2 and f"{elsewhere}: the folder is read-only" in one_error_line(err, "read-only")
        assert sample_book.read_bytes() == before and list(elsewhere.iterdir()) == []
    finally:
        elsewhere.chmod(0o755)


# --- generate -o ----------------------------------------------------------------------------------

def test_generate_onto_the_workbook_itself_is_refused(sample_book: Path) -> None:
    before = snapshot(sample_book.parent)
    code, _, err = run("-q", "generate", sample_book, "-o", sample_book)
    assert code == 2 and "that is the workbook itself" in one_error_line(err, "target-is-the-workbook")
    assert snapshot(sample_book.parent) == before


@pytest.mark.parametrize("name", ["other.xlsx", "other.xlsm", "download.zip"])
def test_generate_onto_a_workbook_or_zip_is_refused(sample_book: Path, name: str) -> None:
    target = sample_book.parent / name
    target.write_bytes(b"PK\x03\x04 the user's file")
    before = snapshot(sample_book.parent)
    code, _, err = run("-q", "generate", sample_book, "-o", target)
    assert code == 2 and "the upload file must end in .json" in one_error_line(err, "wrong-file-type")
    assert snapshot(sample_book.parent) == before


def test_generate_onto_the_download_is_refused(sample_book: Path, sample_json: Path) -> None:
    before = snapshot(sample_book.parent)
    code, _, err = run("-q", "generate", sample_book, "-o", sample_json)
    assert code == 2
    line = one_error_line(err, "would-replace-other-file")
    assert "already exists and is not an upload file written by ims-xl" in line
    assert snapshot(sample_book.parent) == before


def test_generate_may_replace_its_own_previous_upload(sample_book: Path) -> None:
    upload = sample_book.parent / "upload.json"
    assert run("-q", "generate", sample_book, "-o", upload)[0] == 0
    first = json.loads(upload.read_text())
    code, out, err = run("-q", "generate", sample_book, "-o", upload)
    assert code == 0 and err == "" and str(upload) in out
    assert json.loads(upload.read_text()) == first and first["reqtyp"] == "SAVE"


# --- a full disk ------------------------------------------------------------------------------------

def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_writing_the_book(sample_book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = fileport.rewrite_package

    def half_then_full(source, target, edits, progress=None):
        real_write(source, target, edits, progress)
        with open(target, "r+b") as stream:
            stream.truncate(1000)  # what was on disk when the space ran out
        _no_space()

    monkeypatch.setattr(fileport, "rewrite_package", half_then_full)
    before = snapshot(sample_book.parent)
    code, out, err = run("-q", "validate", sample_book)
    assert code == 2 and out == ""
    assert "the disk is full; the workbook was left as it was" in one_error_line(err)
    assert snapshot(sample_book.parent) == before


def test_a_full_disk_while_keeping_the_backup(sample_book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_a_copy(source, target, **kwargs):
        Path(target).write_bytes(Path(source).read_bytes()[:1000])
        _no_space()

    monkeypatch.setattr(shutil, "copy2", half_a_copy)
    before = snapshot(sample_book.parent)
    code, _, err = run("-q", "validate", sample_book)
    assert code == 2 and "the disk is full" in one_error_line(err)
    assert snapshot(sample_book.parent) == before
    assert backups.backups_of(sample_book) == []


def test_temporary_files_of_a_killed_run_are_cleared_next_time(sample_book: Path) -> None:
    folder = sample_book.parent
    old = [folder / ".sample.k3x_9q2a.xlsm", folder / ".sample-20251015-101010.ab12cd34.xlsm"]
    fresh = folder / ".sample.zz99yy88.xlsm"  # perhaps a save under way in another program's hands
    kept = [folder / ".sample.notes.xlsm", folder / ".sample.k3x_9q2a.xlsx", folder / ".other.k3x_9q2a.xlsm"]
    hour_ago = time.time() - 3600
    for path in (*old, fresh, *kept):
        path.write_bytes(b"left over")
        if path is not fresh:
            os.utime(path, (hour_ago, hour_ago))
    code, _, _ = run("-q", "validate", sample_book)
    assert code == 0
    assert not any(p.exists() for p in old)
    assert fresh.exists() and all(p.exists() for p in kept)


def test_workbook_force_onto_a_book_open_in_excel_is_refused(sample_book: Path) -> None:
    (sample_book.parent / "~$sample.xlsm").write_bytes(b"owner")
    before = sample_book.read_bytes()
    code, _, err = run("-q", "workbook", "-o", sample_book, "--force")
    assert code == 2 and "open in Excel" in one_error_line(err, "open-in-another-program")
    assert sample_book.read_bytes() == before


def test_the_leftover_of_a_really_killed_save_is_cleared(sample_book: Path) -> None:
    killed = ("import os, sys\nfrom pathlib import Path\nfrom ims_xl.files.atomic import replacing\n"
              "with replacing(Path(sys.argv[1])) as temporary:\n"
              "    temporary.write_bytes(b'half a workbook')\n    os._exit(9)\n")
    result = subprocess.run([sys.executable, "-c", killed, str(sample_book)], check=False)
    assert result.returncode == 9
    [leftover] = [p for p in sample_book.parent.iterdir() if p.name.startswith(".sample.")]
    assert backups.temporary_pattern(sample_book).fullmatch(leftover.name)
    hour_ago = time.time() - 3600
    os.utime(leftover, (hour_ago, hour_ago))
    assert run("-q", "validate", sample_book)[0] == 0
    assert not leftover.exists()
