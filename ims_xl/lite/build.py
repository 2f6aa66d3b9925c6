"""``ims-xl lite``: the macro-free workbook for xlwings Lite, with ims_xl inside it.

The workbook is ``bookfile.write_book``'s (no macros), then: the sheets left unprotected (Lite
cannot lift protection), Home's buttons as named shapes whose hyperlinks select a cell (how Lite
binds ``@script(button="[Shape]Home!F3")``), and the Lite part holding ``main.py`` and
``requirements.txt``. ``main.py`` carries a zipped copy of the installed ims_xl package, so no
index or web site has to host our code. The same ims_xl gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .. import __version__
from ..core import layout
from ..core.book import BookState
from ..core.layout import Cell
from ..core.problems import InputError
from ..files.bookfile import write_book
from ..files.portal import write_bytes_atomically
from . import home as lite_home
from .package import add_lite_code, rewrite

# What Lite installs before main.py runs: xlwings (Lite needs it; the version this project pins),
# pydantic and python-calamine (Pyodide ships them) and python-stdnum (pure Python, from the index).
REQUIREMENTS = """\
xlwings==0.37.8  # required by xlwings Lite
pydantic>=2.6,<3
python-stdnum>=2.0
python-calamine  # Suggest Actions: purchase registers in .xlsx
"""
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_BUNDLED_SUFFIXES = (".py",)


def bundle_ims_xl() -> bytes:
    """The installed ims_xl package's Python files as a zip: sorted names, fixed timestamps."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(p for p in package.rglob("*") if p.is_file() and p.suffix in _BUNDLED_SUFFIXES
                   and "__pycache__" not in p.parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            info = zipfile.ZipInfo("ims_xl/" + file.relative_to(package).as_posix(), _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.read_bytes())
    return out.getvalue()


def main_py(bundle: bytes) -> str:
    """The workbook's main.py: ims_xl unpacked onto sys.path, then one @script per Home button."""
    digest = hashlib.sha256(bundle).hexdigest()
    encoded = base64.b64encode(bundle).decode("ascii")
    lines = "\n".join(f'    "{encoded[i:i + 100]}"' for i in range(0, len(encoded), 100))
    scripts = "\n\n".join(
        f'@script(button="{button.binding}")\n'
        f"def {button.script}(book: xw.Book):\n"
        f'    """{button.caption}"""\n'
        f"    ims.{_ACTIONS[button.script]}(book)\n"
        for button in lite_home.BUTTONS
    )
    return f'''"""ims-xl {__version__} for xlwings Lite: the buttons on the Home sheet.

Written by `ims-xl lite`. ims_xl itself is below (a zip, base64): edit nothing here; build a new
workbook with `ims-xl lite` instead. Each button reports in the Status cell on Home.
"""

import base64
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import Any

import xlwings as xw
from xlwings import script

IMS_XL_SHA256 = "{digest}"
IMS_XL_ZIP = (
{lines}
)


def _put_ims_xl_on_path():
    data = base64.b64decode(IMS_XL_ZIP)
    if hashlib.sha256(data).hexdigest() != IMS_XL_SHA256:
        raise RuntimeError("main.py's copy of ims_xl is damaged: build the workbook again with 'ims-xl lite'")
    target = Path(tempfile.gettempdir()) / ("ims_xl-" + IMS_XL_SHA256[:16] + ".zip")
    if not target.is_file() or target.read_bytes() != data:
        target.write_bytes(data)
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    return target


IMS_XL_ZIP_PATH = _put_ims_xl_on_path()

from ims_xl.lite import scripts as ims  # noqa: E402


{scripts}'''


_ACTIONS = {
    "open_downloaded_ims_json_file": "open_json",
    "validate_sheet": "validate_sheet",
    "generate_json_file_to_upload": "generate_json",
    "open_downloaded_error_json_file": "open_error_json",
    "suggest_actions": "suggest_actions",
    "refresh_from_newer_download": "refresh_download",
}


def _home_extras(book: xlsxwriter.Workbook, sheet: Worksheet) -> dict[Cell, tuple[Any, dict[str, Any] | None]]:
    """Lite's buttons (text boxes with a hyperlink to a cell); its status and file cells and a note,
    returned for ``write_book`` to write in Home's row order."""
    for button in lite_home.BUTTONS:
        sheet.insert_textbox(button.place.row - 1, button.place.column - 1, button.caption, {
            "width": 230, "height": 30, "url": f"internal:{layout.HOME}!{button.cell}", "tip": button.caption,
            "font": {"bold": True, "color": "white", "size": 10}, "fill": {"color": "#1F4E79"}, "line": {"none": True},
            "align": {"vertical": "middle", "horizontal": "center"}, "object_position": 3})
    text = {"num_format": "@", "border": 1}
    entry = {"num_format": "@", "border": 1, "bg_color": "#FFF9E5", "locked": False}
    cells: dict[Cell, tuple[Any, dict[str, Any] | None]] = {}
    for cell, caption in lite_home.LABELS.items():
        cells[cell.right(-1)] = (caption, {"bold": True})
        cells[cell] = (None, entry if cell == lite_home.FILE else text)
    for offset, line in enumerate(lite_home.NOTES):
        cells[lite_home.NOTES_TOP.down(offset)] = (line, {"italic": True, "font_color": "#595959"})
    return cells


def _unprotect_and_name_shapes(name: str, data: bytes, shape_names: dict[str, str]) -> bytes:
    if name.startswith("xl/worksheets/sheet"):
        return re.sub(rb"<sheetProtection[^>]*/>", b"", data)
    if name.startswith("xl/drawings/drawing") and b"TextBox" in data:
        text = data.decode("utf-8")
        for rel_id, shape in shape_names.items():
            text = re.sub(r'name="TextBox \d+"(>\s*<a:hlinkClick [^>]*r:id="' + rel_id + '")',
                          f'name="{shape}"\\1', text)
        return text.encode("utf-8")
    return data


def _shape_names(workbook: bytes) -> dict[str, str]:
    """Home's drawing relationship id of each button's hyperlink -> the button's shape name."""
    by_target = {f"#{layout.HOME}!{button.cell}": button.shape for button in lite_home.BUTTONS}
    names: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/drawings/_rels/"):
                rels = archive.read(member).decode("utf-8")
                for rel_id, target in re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels):
                    if target in by_target:
                        names[rel_id] = by_target[target]
    return names


def build_workbook() -> bytes:
    """The Lite workbook's bytes."""
    stream = io.BytesIO()
    write_book(stream, BookState(), home_extras=_home_extras)
    plain = stream.getvalue()
    shapes = _shape_names(plain)
    if sorted(shapes.values()) != sorted(button.shape for button in lite_home.BUTTONS):
        raise RuntimeError(f"the Lite buttons' hyperlinks were not found in the workbook ({shapes})")
    unprotected = rewrite(plain, lambda name, data: _unprotect_and_name_shapes(name, data, shapes))
    return add_lite_code(unprotected, {"main.py": main_py(bundle_ims_xl()), "requirements.txt": REQUIREMENTS})


def write_lite_workbook(path: str | Path) -> Path:
    """Write the Lite workbook to ``path`` (atomically)."""
    target = Path(path)
    write_bytes_atomically(target, build_workbook())
    return target


def write_for_cli(path: Path, *, force: bool) -> str:
    """``ims-xl lite -o PATH``: check the target, write the workbook, say what was done."""
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path}: the xlwings Lite workbook must end in .xlsx (Lite runs no macros)",
                         code="wrong-file-type", file=path)
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; use --force to replace it", code="already-exists", file=path)
    if not path.parent.exists():
        raise InputError(f"{path.parent}: no such folder", code="no-such-folder", file=path.parent)
    write_lite_workbook(path)
    return (f"Wrote {path}: open it in Excel with the xlwings Lite add-in; its buttons run the ims_xl "
            f"copy inside it (requirements: {', '.join(line.split()[0] for line in REQUIREMENTS.splitlines())})")
