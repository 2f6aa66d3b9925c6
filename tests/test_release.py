"""The release a firm hands to staff: `python scripts/release.py` builds it, and its wheel works in a fresh venv."""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ims_xl import __version__
from tests.conftest import ROOT

WHEEL = f"ims_xl-{__version__}-py3-none-any.whl"
FOLDER = f"ims-xl-{__version__}"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python scripts/release.py`, the one documented command, run by a fresh virtual environment's
    Python: pip and nothing else, ims_xl and its libraries not installed."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    cannot = subprocess.run([python, "-c", "import ims_xl"], capture_output=True, cwd=venv, env=environment,
                            check=False)
    assert cannot.returncode != 0  # the fresh environment really lacks the package
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([python, str(ROOT / "scripts" / "release.py"), "--out", str(out)], capture_output=True,
                          text=True, check=False, cwd=venv, env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"Wrote {out / (FOLDER + '.zip')} and the wheel beside it"
    return out


def test_the_zip_holds_the_wheel_the_template_the_register_and_the_guide(release: Path) -> None:
    with zipfile.ZipFile(release / f"{FOLDER}.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{FOLDER}/{name}" for name in (
            WHEEL, "IMS_Template.xlsm", "purchase_register.xlsx", "INSTALL.txt", "USER_GUIDE.txt"))
        assert archive.read(f"{FOLDER}/IMS_Template.xlsm") == (ROOT / "templates" / "IMS_Template.xlsm").read_bytes()
        assert archive.read(f"{FOLDER}/{WHEEL}") == (release / WHEEL).read_bytes()
        with zipfile.ZipFile(release / WHEEL) as wheel:
            names = wheel.namelist()
        assert "ims_xl/commands/doctor.py" in names and "ims_xl/vba/ims_buttons.bas" in names


def test_the_wheel_holds_every_subpackage_and_each_imports_from_it(release: Path) -> None:
    """pyproject's package list follows the folders: a folder left out would be missing at a firm."""
    folders = sorted(".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "ims_xl").rglob("__init__.py"))
    with zipfile.ZipFile(release / WHEEL) as wheel:
        inits = [name for name in wheel.namelist() if name.endswith("/__init__.py")]
    packaged = {name.rsplit("/", 1)[0].replace("/", ".") for name in inits}
    assert set(folders) <= packaged
    # The wheel (a zip of pure Python) first on the path, so every ims_xl module comes from it.
    script = (f"import importlib, sys; sys.path.insert(0, {str(release / WHEEL)!r}); "
              "[importlib.import_module(name) for name in sys.argv[1:]]; "
              "assert sys.modules['ims_xl'].__file__.startswith(sys.path[0]); print('ok')")
    done = subprocess.run([sys.executable, "-I", "-c", script, *folders], capture_output=True, text=True,
                          check=False, cwd=release)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_install_guide_gives_the_exact_commands_and_ends_with_doctor(release: Path) -> None:
    with zipfile.ZipFile(release / f"{FOLDER}.zip") as archive:
        guide = archive.read(f"{FOLDER}/INSTALL.txt").decode("utf-8").replace("\r\n", "\n")
    windows, mac = guide.split("\nWINDOWS\n")[1].split("\nMACOS")
    assert f"py -m pip install {WHEEL}" in windows
    assert 'ims-xl workbook -o "%USERPROFILE%\\Documents\\IMS.xlsm"' in windows
    assert "Unblock" in windows and "Trusted Locations" in windows
    assert f"python3 -m pip install {WHEEL}" in mac
    assert "ims-xl workbook -o ~/Documents/IMS.xlsm" in mac
    assert "xlwings runpython install" in mac
    assert "pip install ims-xl" not in guide  # not on the public index
    last_commands = [line.strip() for line in guide.strip().splitlines()[-2:]]
    assert last_commands == ['Windows:  ims-xl doctor "%USERPROFILE%\\Documents\\IMS.xlsm"',
                             "macOS:    ims-xl doctor ~/Documents/IMS.xlsm"]
    assert len(guide.splitlines()) <= 60  # one page


def test_the_wheel_installs_in_a_fresh_venv_and_demo_and_doctor_run_from_it(release: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Only the wheel is installed; its libraries come from this environment, so the test needs no network.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(release / WHEEL)], check=True)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "zz_test_libraries.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    ims_xl = venv / "bin" / "ims-xl"

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ims_xl), *argv], capture_output=True, text=True, cwd=tmp_path,
                              env=environment, check=False, timeout=300)

    where = subprocess.run([str(python), "-c", "import ims_xl; print(ims_xl.__file__)"], capture_output=True,
                           text=True, cwd=tmp_path, env=environment, check=True).stdout.strip()
    assert Path(where).is_relative_to(venv), f"ims_xl came from {where}, not the fresh venv"

    demo = run("demo", "demo")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    uploads = list((tmp_path / "demo").glob("IMS_upload_*.json"))
    assert len(uploads) == 1, demo.stdout

    made = run("workbook", "-o", "IMS.xlsm")
    assert made.returncode == 0, made.stderr
    doctor = run("doctor", "IMS.xlsm")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert re.search(rf"^ok       this Python: .* at {re.escape(str(venv))}/bin/python\S*; ims-xl {__version__};",
                     doctor.stdout, flags=re.M), doctor.stdout
    assert re.search(rf"^ok       IMS.xlsm: its buttons' Python {re.escape(str(venv))}/bin/python\S* \(this Python\)",
                     doctor.stdout, flags=re.M), doctor.stdout
    assert "problem" not in doctor.stdout


def test_the_readme_installs_from_the_release_zip_and_ends_with_doctor() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Installing at a CA firm", 1)[1].split("\n## ", 1)[0]
    assert "pip install ims-xl" not in section  # not on the public index
    first_command = re.search(r"`([^`]*(?:pip|python|ims-xl)[^`]*)`", section)
    assert first_command is not None and first_command.group(1) == "python scripts/release.py"
    assert f"py -m pip install {WHEEL}" in section and f"python3 -m pip install {WHEEL}" in section
    assert section.strip().endswith("```\nims-xl doctor BOOK\n```")


def test_install_txt_is_plain_short_lines_for_any_notepad(release: Path) -> None:
    with zipfile.ZipFile(release / f"{FOLDER}.zip") as archive:
        raw = archive.read(f"{FOLDER}/INSTALL.txt")
    assert raw.isascii()  # every code page shows it as written
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout: old Notepad shows LF-only as one line
    assert max(len(line) for line in raw.decode("ascii").splitlines()) <= 78
    assert b"USER_GUIDE.txt" in raw


def test_the_user_guide_is_the_readmes_user_parts(release: Path) -> None:
    with zipfile.ZipFile(release / f"{FOLDER}.zip") as archive:
        raw = archive.read(f"{FOLDER}/USER_GUIDE.txt")
    assert raw.startswith("\ufeff".encode()) and raw.count(b"\r\n") == raw.count(b"\n")
    guide = raw.decode("utf-8-sig").replace("\r\n", "\n")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for heading in ("## Installing at a CA firm", "## The monthly flow in Excel", "## Command line",
                    "## Purchase register", "### When the tool refuses input", "## Your work is kept safe"):
        assert heading in guide
        section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
        assert section in guide
    for engineers_only in ("## Performance", "## For the next engineer", "## File formats and decisions",
                           "pip install -e"):
        assert engineers_only not in guide


def test_messages_point_to_the_user_guide_and_its_sections_exist(release: Path, tmp_path: Path) -> None:
    from ims_xl.files.register import read_register

    with zipfile.ZipFile(release / f"{FOLDER}.zip") as archive:
        guide = archive.read(f"{FOLDER}/USER_GUIDE.txt").decode("utf-8-sig")
    register = tmp_path / "register.csv"
    register.write_text("Party,Ref\nX,Y\n")
    with pytest.raises(Exception) as caught:
        read_register(register)
    assert "see 'Purchase register' in USER_GUIDE.txt" in str(caught.value)
    assert "\n## Purchase register\r\n" in guide
    assert not any("README" in line for line in (ROOT / "ims_xl" / "cli.py").read_text().splitlines()
                   if "help=" in line)


def test_python_dash_m_ims_xl_is_the_command_line(sample_book: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ims_xl", "-q", "validate", str(sample_book)], capture_output=True,
                          text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Validated 12 records")
    version = subprocess.run([sys.executable, "-m", "ims_xl", "--version"], capture_output=True, text=True,
                             check=False)
    assert version.stdout.strip() == f"ims-xl {__version__}"
