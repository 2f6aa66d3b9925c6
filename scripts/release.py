"""Build what a firm hands to its staff: ``python scripts/release.py`` from a copy of the repository.

Writes ``dist/ims-xl-<version>.zip`` holding

- the wheel (``pip wheel --no-deps``: the package only; pip fetches its libraries when staff install it),
- ``IMS_Template.xlsm``, an empty workbook naming no interpreter (``ims-xl workbook --shipped``),
- ``purchase_register.xlsx``, the blank purchase register,
- ``INSTALL.txt``, the steps for Windows and macOS with the exact commands (plain ASCII, CRLF, short
  lines: Notepad on any Windows shows it as written),
- ``USER_GUIDE.txt``, the README's parts for users (what messages point to).

Needs only this checkout, Python 3.11+ and pip (which may fetch the build backend, setuptools, from the
package index): ims_xl itself need not be installed, so it runs from a fresh clone in a fresh
virtual environment.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_NAME = "IMS_Template.xlsm"
REGISTER_NAME = "purchase_register.xlsx"
GUIDE_NAME = "USER_GUIDE.txt"
# The README's parts for users: from the first of these headings up to (not including) the second.
_GUIDE_FROM, _GUIDE_TO = "## Installing at a CA firm", "## File formats and decisions"

INSTALL_GUIDE = """\
ims-xl {version}: installing on a PC
{rule}

In this folder:
  {wheel}   the program
  {template}   an empty workbook
  {register}   a blank purchase register
  {guide}   how to use the tool (messages point to its sections)
  INSTALL.txt   this page
Everyone who presses the workbook's buttons needs Python and ims-xl on
their own PC. Unzip the folder, then open a terminal in it (Windows: in
Explorer type cmd in the address bar and press Enter).

WINDOWS
1. Install Python 3.11 or newer from
   https://www.python.org/downloads/windows/
   On the first screen tick "Add python.exe to PATH", then Install Now.
2. In the Command Prompt opened in this folder:
       py -m pip install {wheel}
   (pip downloads xlwings, openpyxl and the other libraries once; behind
   a proxy add --proxy http://HOST:PORT). If later "ims-xl" is not
   recognised, type py -m ims_xl instead.
3. Make your workbook; its buttons will run the Python you just installed:
       ims-xl workbook -o "%USERPROFILE%\\Documents\\IMS.xlsm"
4. A workbook that came by e-mail or from the internet has its macros
   blocked. Right-click it > Properties > tick Unblock > OK (PowerShell:
   Unblock-File -Path "FILE"), or keep workbooks in a Trusted Location:
   Excel > File > Options > Trust Center > Trust Center Settings >
   Trusted Locations. A book whose buttons run another PC's Python:
   ims-xl repoint "FILE" (keeps its data).
5. Open IMS.xlsm in Excel, click Enable Content, press
   Open Downloaded IMS JSON File.

MACOS (Excel for Mac)
1. Install Python 3.11 or newer from
   https://www.python.org/downloads/macos/
2. In Terminal, in this folder:
       python3 -m pip install {wheel}
3.     ims-xl workbook -o ~/Documents/IMS.xlsm
4. Once per Mac, so that Excel may start Python:
       xlwings runpython install
   (if "xlwings" is not found: python3 -m xlwings.cli runpython install)
5. Open IMS.xlsm in Excel, enable macros, press
   Open Downloaded IMS JSON File.

WITHOUT EXCEL (LibreOffice, Linux, batches): the command line does the
same work, e.g.
    ims-xl open DOWNLOAD.zip -o CLIENT.xlsm
    ims-xl validate CLIENT.xlsm
    ims-xl generate CLIENT.xlsm
{template} names no Python: its buttons use whichever "python"
is first on the PATH (on Windows "pythonw"). The book from step 3 names
the exact one, which is safer.

LAST, ON EVERY PC: check the install and the workbook. Each line says ok,
note or problem, and each problem comes with the command that fixes it:
    Windows:  ims-xl doctor "%USERPROFILE%\\Documents\\IMS.xlsm"
    macOS:    ims-xl doctor ~/Documents/IMS.xlsm
"""


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^version\s*=\s*"([^"]+)"', text, flags=re.M)
    if found is None:
        raise SystemExit("release: no version in pyproject.toml")
    return found.group(1)


# Left out of the copy the wheel is built from: a stale build/lib would otherwise slip old files into the wheel.
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", ".v", "build", "dist", "*.egg-info", "__pycache__",
                                     ".*_cache", ".hypothesis", "test-artifacts", "ims-xl-demo", "out",
                                     "node_modules")


def build_wheel(work: Path) -> Path:
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE, ignore_dangling_symlinks=True)
    wheels = work / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels),
                    str(source)], check=True)
    built = sorted(wheels.glob("ims_xl-*.whl"))
    if len(built) != 1:
        raise SystemExit(f"release: expected one ims_xl wheel, pip made {[w.name for w in built]}")
    return built[0]


def user_guide(readme: str, version: str) -> str:
    """The README's parts for users, as a text file (Markdown reads as plain text)."""
    start, end = readme.index(_GUIDE_FROM), readme.index(_GUIDE_TO)
    title = f"ims-xl {version}: user guide"
    return f"{title}\n{'=' * len(title)}\n\n{readme[start:end].rstrip()}\n"


def build_release(out: Path) -> Path:
    """Build the zip in ``out`` and return its path."""
    version = project_version()
    name = f"ims-xl-{version}"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ims-xl-release-") as temporary:
        work = Path(temporary)
        wheel = build_wheel(work)
        if not wheel.name.startswith(f"ims_xl-{version}-"):
            raise SystemExit(f"release: pip built {wheel.name}, but pyproject.toml says version {version}")
        # The shipped template (tests keep it equal to a fresh `ims-xl workbook --shipped`): building it here
        # would need ims_xl and its libraries installed, which a fresh clone has not.
        template = ROOT / "templates" / TEMPLATE_NAME
        guide = INSTALL_GUIDE.format(version=version, rule="=" * len(f"ims-xl {version}: installing on a PC"),
                                     wheel=wheel.name, template=TEMPLATE_NAME, register=REGISTER_NAME,
                                     guide=GUIDE_NAME)
        users = user_guide((ROOT / "README.md").read_text(encoding="utf-8"), version)
        target = out / f"{name}.zip"
        partial = target.with_name(f".{target.name}.part")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(wheel, f"{name}/{wheel.name}")
            archive.write(template, f"{name}/{TEMPLATE_NAME}")
            archive.write(ROOT / "templates" / REGISTER_NAME, f"{name}/{REGISTER_NAME}")
            # CRLF: Notepad on older Windows shows a bare LF file as one line.
            archive.writestr(f"{name}/INSTALL.txt", guide.replace("\n", "\r\n"))
            # UTF-8 with its mark, so Notepad shows the rupee sign and the dashes on any code page.
            archive.writestr(f"{name}/{GUIDE_NAME}", "\ufeff" + users.replace("\n", "\r\n"))
        partial.replace(target)
        shutil.copyfile(wheel, out / wheel.name)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the wheel and the zip to hand to staff.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the zip and wheel (default dist/)")
    args = parser.parse_args()
    target = build_release(args.out)
    print(f"Wrote {target} and the wheel beside it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
