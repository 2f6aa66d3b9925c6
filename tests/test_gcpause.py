"""The cycle collector is paused for one command and always given back: a long-lived Excel
Python process (the buttons) must not be left without it after a button, even a failed one."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from ims_xl.core.gcpause import collector_paused
from tests.test_cli import run


def test_paused_inside_and_restored_after_even_on_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        raise ValueError("a user's mistake")
    assert gc.isenabled()


def test_a_collector_the_caller_had_switched_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_commands_give_the_collector_back(sample_json: Path, tmp_path: Path) -> None:
    assert run("-q", "open", sample_json, "-o", tmp_path / "book.xlsm")[0] == 0
    assert gc.isenabled()
    assert run("-q", "validate", tmp_path / "missing.xlsm")[0] == 2  # refused: still given back
    assert gc.isenabled()
