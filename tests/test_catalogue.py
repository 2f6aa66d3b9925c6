"""The catalogues of codes cannot drift: from the code that raises them, or from the README."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

from ims_xl.core import catalogue
from ims_xl.core.problems import InputError
from tests.conftest import ROOT

PACKAGE = ROOT / "ims_xl"
# The one call that passes a code along instead of naming one: rebuilding an unpickled error.
_REBUILDS = PACKAGE / "core" / "problems.py"


def _input_error_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == _REBUILDS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        calls += [(f"{path.relative_to(ROOT)}:{node.lineno}", node) for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "InputError"]
    return calls


def _raised_codes() -> dict[str, list[str]]:
    """code -> where it is raised; a call without a literal code is listed under ''."""
    raised: dict[str, list[str]] = {}
    for where, call in _input_error_calls():
        code = next((keyword.value for keyword in call.keywords if keyword.arg == "code"), None)
        literal = code.value if isinstance(code, ast.Constant) and isinstance(code.value, str) else ""
        raised.setdefault(literal, []).append(where)
    return raised


def test_the_walk_finds_the_input_errors() -> None:
    assert len(_input_error_calls()) > 100


def test_every_input_error_names_a_literal_code() -> None:
    assert _raised_codes().get("", []) == [], "InputError(...) without code=\"...\""


def test_every_raised_code_is_in_the_catalogue() -> None:
    unknown = {code: where for code, where in _raised_codes().items() if code and code not in catalogue.INPUT_ERRORS}
    assert unknown == {}, "add these codes to catalogue.INPUT_ERRORS"


def test_every_catalogued_code_is_raised() -> None:
    never = sorted(set(catalogue.INPUT_ERRORS) - set(_raised_codes()))
    assert never == [], "catalogue.INPUT_ERRORS lists codes nothing raises"


def test_codes_are_kebab_case_and_explained_in_one_line() -> None:
    for code, explanation in catalogue.INPUT_ERRORS.items():
        assert code.replace("-", "").isalpha() and code == code.lower() and not code.startswith("-"), code
        assert explanation and "\n" not in explanation and "|" not in explanation, code
    assert not set(catalogue.INPUT_ERRORS) & set(catalogue.CATALOGUE), "a code means one thing"


def test_the_readme_holds_both_tables_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert catalogue.readme_table() in readme, "paste catalogue.readme_table() under 'What the validator checks'"
    assert catalogue.input_errors_table() in readme, (
        "paste catalogue.input_errors_table() under 'When the tool refuses input'")


def test_an_input_error_keeps_its_message_code_and_place(tmp_path: Path) -> None:
    error = InputError("book.xlsm: sheet B2B, row 7: broken", code="record-cell-changed", file=tmp_path / "book.xlsm",
                       sheet="B2B", row=7, field="Portal Record")
    assert str(error) == "book.xlsm: sheet B2B, row 7: broken"
    assert (error.code, error.file, error.sheet, error.row, error.field) == (
        "record-cell-changed", str(tmp_path / "book.xlsm"), "B2B", 7, "Portal Record")
    copy = pickle.loads(pickle.dumps(error))  # practice's worker processes send errors back
    assert (str(copy), copy.code, copy.file, copy.sheet, copy.row, copy.field) == (
        str(error), error.code, error.file, error.sheet, error.row, error.field)
