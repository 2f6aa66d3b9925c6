"""Shared fixtures: the bundled sample download, and workbooks made from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ims_xl import actions
from ims_xl.excel.template import this_pythons_macros
from ims_xl.files.fileport import FilePort
from ims_xl.files.portal import read_portal_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "ims_xl" / "data" / "sample_download.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = ROOT / "test-artifacts"  # not committed: pictures and files for a person to look at


@pytest.fixture
def sample_json(tmp_path: Path) -> Path:
    target = tmp_path / "sample_download.json"
    shutil.copyfile(SAMPLE, target)
    return target


def open_book(download: Path, book: Path) -> Path:
    """What `ims-xl open DOWNLOAD -o BOOK` does."""
    port = FilePort(book, new=True, macros=this_pythons_macros)
    actions.open_download(port, read_portal_file(download), download.name)
    return book


@pytest.fixture
def sample_book(tmp_path: Path, sample_json: Path) -> Path:
    """The sample download opened into an .xlsm with buttons."""
    return open_book(sample_json, tmp_path / "sample.xlsm")


@pytest.fixture
def sample_xlsx(tmp_path: Path, sample_json: Path) -> Path:
    return open_book(sample_json, tmp_path / "sample.xlsx")
