"""The macro-enabled template: xlwings' VBA project with our button module, and its config sheet.

The VBA is xlwings' standalone project (its module ``xlwings`` provides RunPython, so no add-in is
needed) taken from the installed, pinned xlwings package, with ``Module1`` replaced by
``workbook/ims_buttons.bas``. Building needs no Excel and gives the same bytes every time.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from ..core.book import BookState
from ..files.bookfile import MacroSetup, write_book
from . import vbaproject

SHIPPED_TEMPLATE_NAME = "IMS_Template.xlsm"
BUTTON_MODULE = "Module1"
# Keys every book's xlwings.conf sheet carries; the interpreter keys are added per machine.
BASE_CONF = {"SHOW CONSOLE": "False"}


def buttons_source() -> str:
    """Our VBA module's source (installed as ims_xl.vba; in a source checkout, workbook/)."""
    try:
        return resources.files("ims_xl.vba").joinpath("ims_buttons.bas").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (Path(__file__).resolve().parent.parent / "workbook" / "ims_buttons.bas").read_text(encoding="utf-8")


def macro_setup(conf: dict[str, str] | None = None) -> MacroSetup:
    project = vbaproject.replace_module_source(vbaproject.xlwings_vba_project(), BUTTON_MODULE, buttons_source())
    return MacroSetup(vba_project=project, conf={**BASE_CONF, **(conf or {})})


def this_interpreter_conf() -> dict[str, str]:
    """xlwings.conf entries pointing the buttons at the Python running this command."""
    python = sys.executable
    if sys.platform == "win32":
        windowless = Path(python).with_name("pythonw.exe")  # no console window flashing on each click
        python = str(windowless) if windowless.exists() else python
    return {"INTERPRETER_WIN": python, "INTERPRETER_MAC": python}


def this_pythons_macros() -> MacroSetup:
    """The macros of a new book whose buttons run the Python running this command."""
    return macro_setup(this_interpreter_conf())


def build_template(path: str | Path, *, conf: dict[str, str] | None = None) -> None:
    """An empty workbook: Home, the eight section sheets, buttons bound to our macros."""
    write_book(path, BookState(), macros=macro_setup(conf))
