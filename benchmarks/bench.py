"""How fast, and how big, are ims-xl's commands, each against a floor measured in the same run.

The driver: for each N (``--records``, default 10,000 and 100,000) it writes the synthetic inputs
(``data.py``), then times ims-xl's commands as whole processes (``commands.py``: interpreter start
and imports included, wall time, CPU time and peak resident set from ``wait4``) and the floors
(``floors.py``), in ``--repeat`` rounds, each step keeping its fastest run, and prints every figure
with its floor and the target:

=========================  ======================================================  ==========
command                    floor (the least work it cannot avoid)                   target
=========================  ======================================================  ==========
open                       json parse + XlsxWriter (constant memory), same cells    <= 0.5
validate, generate         an openpyxl read-only values pass over the opened book   <= 0.5
reconcile (N x N)          the same openpyxl pass                                   (peak only)
practice (C clients x R)   open then validate per client, one after another         <= 0.4
=========================  ======================================================  ==========

Peak memory targets: 300 MiB at 100,000 records (reconcile 400 MiB), 1.5 GB at 1,000,000. Also
shown for comparison: a python-calamine read of the book plus one inflate-and-deflate pass over its
section sheets (the least an in-place edit costs), and the bare start of ``ims-xl --version``.

How to run
----------
From the repository root (ims_xl installed, or importable from the checkout)::

    python benchmarks/bench.py                       # N = 10,000 and 100,000, and practice 50 x 2,000
    python benchmarks/bench.py --records 1000000     # the million-record month (minutes; ~430 MB download)
    python benchmarks/bench.py --repeat 3            # 3 rounds, the fastest run of each step kept
    python benchmarks/bench.py --practice 0x0        # no practice run
    python benchmarks/bench.py --profile auto        # also cProfile the slowest of open/validate/generate
    python benchmarks/bench.py --code /tmp/other     # measure another export of ims_xl on the same inputs

Inputs, workbooks, logs and profiles go to ``--out`` (default ``benchmarks/out``, git-ignored); the
table is printed and written to ``<out>/results.md`` with the machine (cores, CPU model) and the
commit measured; a profile goes to ``<out>/n<N>/profile/<command>.txt`` (cumulative and own time,
top 30) beside the ``.prof`` file. Wall times suffer when other work shares the cores: the CPU
seconds and the load average are shown to tell such a run apart, and every ratio is to a floor
measured in the same run, so a slow spell slows both sides.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # data, floors, commands beside this file
import commands
import data
import floors
import practice_bench
from commands import Run, cli, code_state, machine

ROOT = data.ROOT
DEFAULT_SIZES = (10_000, 100_000)
CHANGED_SHARE = 0.10  # statuses set by hand before generate
# Copies of the book kept between steps: each command's input, for repeats and the profiler.
OPENED, CHANGED, GENERATED = "opened.xlsm", "changed.xlsm", "generated.xlsm"
OPEN_TARGET, READ_TARGET, PRACTICE_TARGET = 0.5, 0.5, 0.4


@dataclass
class Row:
    operation: str
    n: int
    run: Run | None  # None: skipped
    floor: Run | None = None  # the floor this operation is compared with, measured in the same run
    target: float | None = None  # the ratio to the floor the issue asks for
    note: str = ""

    def cells(self) -> list[str]:
        if self.run is None:
            return [self.operation, f"{self.n:,}", "skipped", "", "", "", "", "", "", self.note]
        ratio = self.run.seconds / self.floor.seconds if self.floor else None
        # On a shared machine wall time swings with the others' load; CPU time much less.
        cpu_ratio = self.run.cpu / self.floor.cpu if self.floor and self.floor.cpu else None
        verdict = ""
        if ratio is not None and self.target is not None:
            verdict = f"<= {self.target} {'met' if ratio <= self.target else 'NOT met'}"
        exit_text = str(self.run.exit_code)
        return [self.operation, f"{self.n:,}", f"{self.run.seconds:.2f}", f"{self.run.cpu:.2f}",
                f"{self.floor.seconds:.2f}" if self.floor else "", f"{ratio:.2f}" if ratio is not None else "",
                f"{cpu_ratio:.2f}" if cpu_ratio is not None else "", verdict,
                f"{self.run.peak_mib:.0f}", exit_text + (f" {self.note}" if self.note else "")]


HEADERS = ["operation", "N", "seconds", "CPU s", "floor s", "ratio", "CPU ratio", "target", "peak MiB",
           "exit / note"]


def _fresh_book(book: Path) -> None:
    """Remove a book and the backups ims-xl keeps beside it."""
    for old in book.parent.glob(f"{book.stem}*{book.suffix}"):
        old.unlink()


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def bench_size(n: int, out: Path, repeat: int = 1) -> list[Row]:
    """Every measurement at one size, in ``repeat`` rounds; each step keeps its fastest run.

    Rounds (rather than back-to-back repeats) spread a slow spell of a shared machine over all the
    steps. Each command starts from a saved copy of its input book, so every round and the profiler
    see the same work."""
    directory = out / f"n{n}"
    logs = directory / "logs"
    started = time.perf_counter()
    download, register, register_rows = data.write_inputs(directory, n)
    print(f"N={n:,}: inputs written in {time.perf_counter() - started:.1f}s "
          f"({download.stat().st_size / 1e6:.1f} MB download, {register_rows:,} register rows); "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    book = directory / "book.xlsm"
    best: dict[str, Run] = {}

    def step(label: str, argv: Sequence[str], source: Path | None = None, *, fresh: bool = False) -> Run:
        if fresh or source:
            _fresh_book(book)
        if source:
            shutil.copy2(source, book)
        run = commands.measure(argv, logs / f"{label}.log")
        if label not in best or run.seconds < best[label].seconds:
            best[label] = run
        print(f"  {label:<14} {run.seconds:7.2f}s  {run.cpu:7.2f} CPU s  {run.peak_mib:6.0f} MiB  "
              f"exit {run.exit_code}", flush=True)
        if run.exit_code not in (0, 1):
            print(f"    {_last_line(run.log)}", flush=True)
        return run

    def keep(name: str) -> Path:
        snapshot = directory / name
        shutil.copy2(book, snapshot)
        return snapshot

    opened_book, changed_book, generated_book = directory / OPENED, directory / CHANGED, directory / GENERATED
    for round_number in range(1, repeat + 1):
        if repeat > 1:
            print(f" round {round_number} of {repeat}", flush=True)
        first = round_number == 1
        step("startup", cli("--version"))
        step("floor-write", floors.argv("floor-write", download, directory / "floor.xlsx"))
        opened = step("open", cli("open", download, "-o", book), fresh=True)
        if first:
            if opened.exit_code != 0:
                raise SystemExit(f"open failed ({_last_line(opened.log)}); see {opened.log}")
            keep(OPENED)  # as open wrote it: the read floors' and validate's input
        step("floor-read", floors.argv("read-openpyxl", opened_book))
        step("calamine-read", floors.argv("read-calamine", opened_book))
        step("minimal-write", floors.argv("minimal-write", opened_book, directory / "minimal.zip"))
        step("validate", cli("validate", book), opened_book)
        if first:  # the user's work on the validated book: not timed, done once
            helper = commands.measure(commands.helper("set-statuses", book, CHANGED_SHARE), logs / "set-statuses.log")
            if helper.exit_code != 0:
                raise SystemExit(f"the status helper failed ({_last_line(helper.log)}); see {helper.log}")
            keep(CHANGED)
        step("generate", cli("generate", book, "-o", directory / "upload.json"), changed_book)
        if first:
            keep(GENERATED)
        step("reconcile", cli("reconcile", book, register), generated_book)

    write_floor, read_floor, calamine = best["floor-write"], best["floor-read"], best["calamine-read"]
    minimal = best["minimal-write"]
    reconciled = best["reconcile"]
    return [
        Row("open", n, best["open"], write_floor, OPEN_TARGET),
        Row("validate", n, best["validate"], read_floor, READ_TARGET),
        Row("generate", n, best["generate"], read_floor, READ_TARGET),
        Row(f"reconcile ({n:,} x {register_rows:,})", n, reconciled, read_floor,
            note="" if reconciled.exit_code == 0 else _last_line(reconciled.log)),
        Row("floor: write (json + XlsxWriter constant memory)", n, write_floor),
        Row("floor: read (openpyxl read-only values)", n, read_floor),
        Row("in-place floor: calamine read", n, calamine),
        Row("in-place floor: inflate + deflate the section sheets", n, minimal),
        Row("startup (ims-xl --version)", n, best["startup"]),
    ]


def bench_practice(clients: int, records: int, out: Path, repeat: int = 1) -> list[Row]:
    """``ims-xl practice`` over ``clients`` downloads against open + validate per client, one after another."""
    folder = out / f"practice-{clients}x{records}"
    logs = folder / "logs"
    downloads = practice_bench.write_clients(folder / "downloads", clients, records)
    print(f"practice: {clients} clients x {records:,} records written; load average {os.getloadavg()[0]:.2f}",
          flush=True)
    jobs = os.cpu_count() or 1
    serial: practice_bench.Side | None = None
    practice: practice_bench.Side | None = None
    for _ in range(max(1, repeat)):
        practice_bench.fresh_practice_folder(downloads, folder / "practice")
        run = practice_bench.run_practice(folder / "practice", jobs, logs, "practice: first run")
        if practice is None or run.seconds < practice.seconds:
            practice = run
        alone = practice_bench.run_serial(downloads, folder / "serial", logs)
        if serial is None or alone.seconds < serial.seconds:
            serial = alone
        print(f"  practice {run.seconds:7.1f}s  {run.peak_mib:5.0f} MiB;  serial {alone.seconds:7.1f}s", flush=True)
    assert practice is not None and serial is not None
    total = clients * records
    floor = Run(serial.seconds, serial.cpu, serial.peak_mib, 0, logs)
    # wait4 reports a process with the children it reaped: practice's CPU time covers its workers.
    return [Row(f"practice ({clients} x {records:,}, -j {jobs})", total,
                Run(practice.seconds, practice.cpu, practice.peak_mib, int(practice.exits), logs),
                floor, PRACTICE_TARGET),
            Row("floor: open + validate per client, one after another", total, floor,
                note=f"exits {serial.exits}")]


# --- profiling ------------------------------------------------------------------------------------------


def profile(operation: str, n: int, out: Path, top: int = 30) -> Path:
    """cProfile one command at size n, on the same input the timed run had; writes .prof and .txt."""
    import pstats

    directory = out / f"n{n}"
    work = directory / "profile"
    work.mkdir(exist_ok=True)
    book = work / "book.xlsm"
    _fresh_book(book)
    args: list[str | Path]
    if operation == "open":
        args = ["open", directory / "download.json", "-o", book]
    else:
        source = {"validate": OPENED, "generate": CHANGED, "reconcile": GENERATED}[operation]
        shutil.copy2(directory / source, book)
        args = {"validate": ["validate", book], "generate": ["generate", book, "-o", work / "upload.json"],
                "reconcile": ["reconcile", book, directory / "register.csv"]}[operation]
    stats_file = work / f"{operation}.prof"
    argv = [sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "ims_xl.cli", "-q", *map(str, args)]
    run = commands.measure(argv, work / f"{operation}.log")
    report = work / f"{operation}.txt"
    with report.open("w") as stream:
        stream.write(f"# cProfile of ims-xl {operation} at N={n:,}: {run.seconds:.1f}s wall under the profiler\n")
        for order in ("cumulative", "tottime"):
            stats = pstats.Stats(str(stats_file), stream=stream)
            stats.strip_dirs().sort_stats(order).print_stats(top)
    print(f"profile of {operation} at N={n:,}: {report}")
    return report



# --- the table ------------------------------------------------------------------------------------------


def text_table(rows: Sequence[Row]) -> str:
    body = [HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADERS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
                     for line in body)


def markdown(rows: Sequence[Row], code: str) -> str:
    lines = [f"# ims-xl benchmark, {datetime.now():%Y-%m-%d %H:%M}", "",
             f"Machine: {machine()}; load average at the end {os.getloadavg()[0]:.2f}", "",
             f"Code: {code}", "",
             "| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" for _ in HEADERS) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row.cells()) + " |" for row in rows]
    lines += ["", "Seconds: wall time of the whole process (interpreter start and imports included); "
              "CPU s: user + system. Floor for open: json parse + XlsxWriter (constant memory) writing the "
              "same cells. Floor for validate, generate and reconcile: an openpyxl read-only values pass over "
              "the opened book. Floor for practice: open then validate per client, one after another. Peak: "
              "the process's maximum resident set (ru_maxrss from wait4); targets 300 MiB at 100,000 records "
              "(reconcile 400 MiB), 1.5 GB at 1,000,000.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N",
                        help="sizes to measure (default: 10000 100000)")
    parser.add_argument("--practice", default="50x2000", metavar="CLIENTSxRECORDS",
                        help="the practice run (default 50x2000; 0x0: none)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out",
                        help="folder for inputs, books, logs and results.md (default: benchmarks/out)")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the checkout whose ims_xl is measured (default: this one), e.g. an export of "
                             "another commit, to compare two versions on the same inputs")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="measure everything in R rounds and keep each step's fastest run (default 1)")
    parser.add_argument("--profile", choices=("auto", "open", "validate", "generate", "reconcile"),
                        help="after timing, cProfile this command at the largest N "
                             "(auto: the slowest of open, validate and generate)")
    args = parser.parse_args(argv)
    commands.CODE = args.code.resolve()
    clients, _, per_client = args.practice.partition("x")

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(machine(), flush=True)
    code = code_state()
    print(f"code: {code}", flush=True)
    rows: list[Row] = []
    for n in args.records:
        rows += bench_size(n, out, max(1, args.repeat))
    if int(clients or 0) and int(per_client or 0):
        rows += bench_practice(int(clients), int(per_client), out, max(1, args.repeat))
    table = text_table(rows)
    print(f"\n{table}\n\n{machine()}")
    if code_state() != code:  # others commit while a long run goes on: say so, the table may mix versions
        code = f"{code}; by the end of the run: {code_state()}"
    (out / "results.md").write_text(markdown(rows, code), encoding="utf-8")
    print(f"written: {out / 'results.md'}")
    if args.profile:
        largest = max(args.records)
        operation = args.profile
        if operation == "auto":
            timed = {row.operation: row.run.seconds for row in rows
                     if row.n == largest and row.run and row.operation in ("open", "validate", "generate")}
            operation = max(timed, key=lambda name: timed[name])
        profile(operation, largest, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
