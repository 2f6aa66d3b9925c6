"""The workbook's buttons (over the recording Excel fake): the same one-sentence messages."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ims_xl import actions, macros
from ims_xl.core import jsonio
from ims_xl.excel.xlwings_port import XlwingsPort
from tests.conftest import SAMPLE
from tests.xlwings_fake import FakeBook


def test_a_full_disk_is_one_sentence_not_an_unexpected_error(sample_book: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "ims-xl-error.log"
    monkeypatch.setattr(macros, "LOG_FILE", log)

    @contextmanager
    def full(*args: Any, **kwargs: Any) -> Iterator[Path]:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "IMS_upload.json"))
        yield tmp_path  # never reached: the upload cannot even be staged

    monkeypatch.setattr(actions, "replacing", full)
    fake = FakeBook.from_file(sample_book)

    macros.generate_json(port=XlwingsPort(fake))

    [alert] = fake.app.alerts
    assert alert["title"] == "ims-xl: cannot do that" and alert["mode"] == "critical"
    assert alert["prompt"].startswith(f"{tmp_path / 'IMS_upload.json'}: the disk is full")
    assert alert["prompt"].endswith("; no upload file was written")
    assert not log.exists()


def test_the_open_button_names_an_unknown_section_it_did_not_read(sample_book: Path, tmp_path: Path) -> None:
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    document["imsDetails"]["b2bx"] = document["imsDetails"]["b2b"][:2]
    download = tmp_path / "odd.json"
    download.write_text(jsonio.dumps(document), encoding="utf-8")
    fake = FakeBook.from_file(sample_book, answers=["yes"])

    macros.open_json(port=XlwingsPort(fake), path=str(download))

    assert fake.app.alerts[-1]["prompt"] == (
        "Opened 12 records from odd.json (B2B 4, B2BA 1, B2B-DN 1, B2B-DNA 1, B2B-CN 2, B2B-CNA 1, ECO 1, ECOA 1)"
        "\n\nodd.json: section 'b2bx' is not an IMS section the tool knows; its 2 records are not in the workbook")
