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
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "release.py"), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"Wrote {out / (FOLDER + '.zip')} and the wheel beside it"
    return out


def test_the_zip_holds_the_wheel_the_template_the_register_and_the_guide(release: Path) -> None:
    with zipfile.ZipFile(release / f"{FOLDER}.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{FOLDER}/{name}" for name in (
            WHEEL, "IMS_Template.xlsm", "purchase_register.xlsx", "INSTALL.txt"))
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
