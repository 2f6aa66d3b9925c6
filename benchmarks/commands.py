"""ims-xl's commands as the benchmarks run them: whole processes under a small launcher that
reports the kernel's accounting of exactly that process, and the helper that plays the user.

Each measured command runs under ``LAUNCHER`` (a fresh Python with only the standard library
loaded), which starts it with ``subprocess.Popen``, reaps it with ``os.wait4(pid)`` and reports wall
time from start to reaping, user + system CPU, and ``ru_maxrss``, its peak resident set. The launcher
is needed: Linux counts the memory a process had *before* it called exec into its ``ru_maxrss``,
and Python starts children with vfork, so a child started directly by the (large) driver would
report the driver's peak instead of its own. ``ru_maxrss`` is KiB on Linux and bytes on macOS; it
is shown in MiB. POSIX only (Linux, macOS). For ``practice`` the figure covers the workers it
reaped too: the largest peak of any one process.

``python benchmarks/commands.py set-statuses BOOK SHARE`` is the user's work before generate.
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
CODE = ROOT  # the checkout whose ims_xl the measured processes run (bench.py --code sets it)
SEED = 20251020

# --- running and measuring ---------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    cpu: float
    peak_mib: float
    exit_code: int
    log: Path


def _peak_mib(maxrss: int) -> float:
    return maxrss / (1 << 20) if sys.platform == "darwin" else maxrss / 1024


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CODE), env.get("PYTHONPATH", "")) if p)
    return env


# Runs argv[2:] and writes {"seconds", "cpu", "maxrss", "exit"} to the file argv[1]; see the docstring.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
seconds = time.perf_counter() - start
process.returncode = code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as stream:
    json.dump({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "maxrss": usage.ru_maxrss,
               "exit": code}, stream)
"""


def measure(argv: Sequence[str], log: Path) -> Run:
    """Run one child process to its end, under the launcher; its wall time, CPU time and peak RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    result = log.with_suffix(".json")
    result.unlink(missing_ok=True)
    with log.open("wb") as stream:
        subprocess.run([sys.executable, "-c", LAUNCHER, str(result), *argv], stdout=stream,
                       stderr=subprocess.STDOUT, cwd=CODE, env=_child_env(), check=True)
    usage = json.loads(result.read_text())
    return Run(usage["seconds"], usage["cpu"], _peak_mib(usage["maxrss"]), usage["exit"], log)


def cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "ims_xl.cli", "-q", *map(str, args)]


def helper(mode: str, *args: str | Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), mode, *map(str, args)]


def set_statuses(path: str, share: str) -> None:
    """The user's work before generate: ~share of the untouched records get a valid decision."""
    from ims_xl.files.fileport import FilePort

    rng = random.Random(SEED + 2)
    port = FilePort(path)
    state = port.load()
    changed = 0
    for entry in state.all_entries():
        model = entry.record.model
        if model.action != "N" or rng.random() >= float(share):
            continue
        choice = rng.random()
        if choice < 0.15 and not model.pending_blocked:
            entry.status = "Pending"
            entry.remarks = None if model.remarks_blocked else "Waiting for the goods"
        elif choice < 0.40:
            entry.status = "Reject"
            entry.remarks = None if model.remarks_blocked else "Not our purchase"
        else:
            entry.status = "Accept"
            if entry.section.takes_itc_declaration and not model.itc_blocked:
                entry.itc = rng.choice(("Yes", "No"))
        changed += 1
    port.save(state, None, frozenset({"status", "remarks", "itc"}))
    print(f"changed {changed} statuses")


# --- the machine and the code measured ---------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()} "
            f"({platform.python_implementation()}), {platform.system()} {platform.release()}")


def code_state() -> str:
    """Which code was measured: the commit and the files under ims_xl/ that differ from it (read-only git)."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "--no-optional-locks", "-C", str(CODE), *args], capture_output=True,
                                  text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"{CODE} (not a git checkout)"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "ims_xl").splitlines()]
    return f"{CODE} at {commit}" + (f", with uncommitted changes to {', '.join(changed)}" if changed else "")


if __name__ == "__main__":
    {"set-statuses": set_statuses}[sys.argv[1]](*sys.argv[2:])
