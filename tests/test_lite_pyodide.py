"""The Lite workbook's main.py under Pyodide in Node, offline: what xlwings Lite runs, minus Excel.

Needs ``node`` (Debian: apt-get install nodejs npm), ``npm ci`` in tests/lite (the pinned
``pyodide`` package) and the Pyodide wheels of pydantic, python-stdnum and python-calamine in tests/lite/wheels
(``tests/lite/prepare.sh`` does both). Skipped without them, unless IMS_XL_REQUIRE_PYODIDE=1 (CI).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLE
from tests.test_lite_build import (  # noqa: F401 (fixtures)
    assert_the_flow_worked,
    code,
    register_xlsx,
    run_flow,
    workbook,
)

LITE_TESTS = Path(__file__).resolve().parent / "lite"
REQUIRED = os.environ.get("IMS_XL_REQUIRE_PYODIDE") == "1"


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH (Debian: apt-get install nodejs npm)"
    if not (LITE_TESTS / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        return "the pyodide npm package is not installed (run tests/lite/prepare.sh)"
    if not list((LITE_TESTS / "wheels").glob("pydantic_core-*wasm32.whl")):
        return "no Pyodide wheels in tests/lite/wheels (run tests/lite/prepare.sh)"
    return None


@pytest.fixture(scope="module")
def node() -> str:
    missing = _missing()
    if missing:
        if REQUIRED:
            pytest.fail(f"IMS_XL_REQUIRE_PYODIDE=1, but {missing}", pytrace=False)
        pytest.skip(missing)
    return str(shutil.which("node"))


def test_main_py_runs_the_whole_flow_under_pyodide(node: str, code: dict[str, str],  # noqa: F811
                                                    register_xlsx: Path, tmp_path: Path) -> None:  # noqa: F811
    main_py = tmp_path / "main.py"
    main_py.write_text(code["main.py"], encoding="utf-8")
    config = tmp_path / "flow.json"
    fake = LITE_TESTS / "lite_book_fake.py"
    copies = [f"{main_py}=/home/pyodide/main.py", f"{SAMPLE}=/home/pyodide/sample.json",
              f"{config}=/home/pyodide/flow.json", f"{fake}=/home/pyodide/lite/lite_book_fake.py",
              f"{register_xlsx}=/home/pyodide/register.xlsx"]
    runner = [node, str(LITE_TESTS / "run_in_pyodide.mjs"), str(LITE_TESTS / "wheels"), str(LITE_TESTS / "flow.py")]
    report = run_flow(
        [*runner, *copies],
        {"main_py": "/home/pyodide/main.py", "data": "/data", "sample": "/home/pyodide/sample.json",
         "register": "/home/pyodide/register.xlsx", "site": []},
        tmp_path,
    )
    assert report["platform"] == "emscripten"
    assert_the_flow_worked(report)
