"""``ims-xl practice`` on a folder of clients against ``ims-xl open`` then ``validate`` for each, one after another.

What it measures
----------------
``--clients`` synthetic downloads (default 50) of ``--records`` records each (default 2,000), made by
``data.make_download`` (one seed and one recipient GSTIN per client), then, on the same machine in the
same run:

* *serial*: for each client, ``ims-xl open DOWNLOAD -o BOOK`` and then ``ims-xl validate BOOK``, each as
  its own process, one after another: what a shell loop over the folder does;
* *practice*: ``ims-xl practice DIR -j N`` once over a folder holding the same downloads (first run:
  every book is opened and validated);
* *practice rerun*: the same command again (every download unchanged: each book is read, validated and
  written; nothing is opened twice).

Every command runs as a whole process under ``commands.measure`` (interpreter start and imports included),
so both sides are measured the same way. Target: practice <= 0.4 x serial.

Memory: ``commands.measure`` reads the kernel's ``ru_maxrss`` from ``wait4`` of the measured process. On
Linux that figure covers the process and the children it reaped (``getrusage(RUSAGE_BOTH)``), so for
``practice`` it is the largest peak of any one process in the run: the main process or a worker. It is
compared with the largest peak of the single-book ``open`` and ``validate`` processes.

How to run
----------
From the repository root::

    python benchmarks/practice_bench.py                          # 50 clients x 2,000 records
    python benchmarks/practice_bench.py --clients 20 --records 1000 -j 2
    python benchmarks/practice_bench.py --repeat 2               # the fastest of 2 rounds of each side

Inputs, books and logs go to ``--out`` (default ``benchmarks/out/practice``, git-ignored); the table is
printed and written to ``<out>/results.md``.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))  # data.py and commands.py beside this file
import commands
import data

from ims_xl.core import jsonio
from ims_xl.core.gstin import with_check_character

TARGET_RATIO = 0.4


def client_gstin(index: int) -> str:
    """A distinct, valid recipient GSTIN per client (Maharashtra, a firm's PAN, serial in the PAN)."""
    return with_check_character(f"27AAPFC{index:04d}F1Z")


def write_clients(folder: Path, clients: int, records: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    downloads = []
    for index in range(clients):
        document, _ = data.make_download(records, seed=data.SEED + index)
        gstin = client_gstin(index)
        document["gstin"] = gstin
        download = folder / f"{gstin}_{data.PERIOD}.json"
        download.write_text(jsonio.dumps(document), encoding="utf-8")
        downloads.append(download)
    return downloads


@dataclass
class Side:
    label: str
    seconds: float
    cpu: float
    peak_mib: float
    exits: str

    def cells(self, serial: float) -> list[str]:
        return [self.label, f"{self.seconds:.1f}", f"{self.cpu:.1f}", f"{self.seconds / serial:.2f}",
                f"{self.peak_mib:.0f}", self.exits]


HEADERS = ["run", "seconds", "CPU s", "x serial", "peak MiB (largest process)", "exit codes"]


def run_serial(downloads: Sequence[Path], books: Path, logs: Path) -> Side:
    """open then validate for each client, one process each, one client after another."""
    if books.exists():
        shutil.rmtree(books)
    books.mkdir(parents=True)
    seconds = cpu = peak = 0.0
    exits: dict[int, int] = {}
    for download in downloads:
        book = books / download.with_suffix(".xlsm").name
        for step, argv in (("open", commands.cli("open", download, "-o", book)),
                           ("validate", commands.cli("validate", book))):
            run = commands.measure(argv, logs / f"serial-{step}-{download.stem}.log")
            seconds, cpu, peak = seconds + run.seconds, cpu + run.cpu, max(peak, run.peak_mib)
            exits[run.exit_code] = exits.get(run.exit_code, 0) + 1
    return Side("serial: open + validate per client", seconds, cpu, peak,
                ", ".join(f"{code}: {count}" for code, count in sorted(exits.items())))


def fresh_practice_folder(downloads: Sequence[Path], folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for download in downloads:
        shutil.copy2(download, folder / download.name)


def run_practice(folder: Path, jobs: int, logs: Path, label: str) -> Side:
    run = commands.measure(commands.cli("practice", folder, "-j", str(jobs)), logs / f"{label.split()[0]}.log")
    return Side(f"{label} (-j {jobs})", run.seconds, run.cpu, run.peak_mib, str(run.exit_code))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="number of clients (default 50)")
    parser.add_argument("--records", type=int, default=2_000, help="records per client (default 2,000)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="practice's worker processes (default: the number of cores)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each side keeps its fastest (default 1)")
    parser.add_argument("--out", type=Path, default=data.ROOT / "benchmarks" / "out" / "practice")
    args = parser.parse_args(argv)

    out: Path = args.out.resolve()
    logs = out / "logs"
    print(commands.machine(), flush=True)
    started = time.perf_counter()
    downloads = write_clients(out / "downloads", args.clients, args.records)
    print(f"{args.clients} clients x {args.records:,} records written in {time.perf_counter() - started:.1f}s; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    best: dict[str, Side] = {}

    def keep(side: Side) -> None:
        print(f"  {side.label:<44} {side.seconds:7.1f}s  {side.peak_mib:5.0f} MiB  exit {side.exits}", flush=True)
        if side.label not in best or side.seconds < best[side.label].seconds:
            best[side.label] = side

    for round_number in range(1, max(1, args.repeat) + 1):
        print(f" round {round_number}", flush=True)
        folder = out / "practice"
        fresh_practice_folder(downloads, folder)
        keep(run_practice(folder, args.jobs, logs, "practice: first run"))
        keep(run_practice(folder, args.jobs, logs, "practice rerun: nothing new"))
        keep(run_serial(downloads, out / "serial", logs))

    serial = next(side for label, side in best.items() if label.startswith("serial"))
    first = next(side for label, side in best.items() if label.startswith("practice: first"))
    sides = [serial, *(side for side in best.values() if side is not serial)]
    rows = [HEADERS, *(side.cells(serial.seconds) for side in sides)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    table = "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                      for row in rows)
    ratio = first.seconds / serial.seconds
    met = "met" if ratio <= TARGET_RATIO else "NOT met"
    verdict = (f"practice / serial = {ratio:.2f} (target <= {TARGET_RATIO}: {met}); "
               f"peak {first.peak_mib:.0f} MiB against {serial.peak_mib:.0f} MiB for one book")
    print(f"\n{table}\n\n{verdict}\nload average at the end {os.getloadavg()[0]:.2f}")
    markdown = [f"# ims-xl practice benchmark, {datetime.now():%Y-%m-%d %H:%M}", "",
                f"Machine: {commands.machine()}; load average at the end {os.getloadavg()[0]:.2f}", "",
                f"Code: {commands.code_state()}", "",
                f"{args.clients} clients x {args.records:,} records.", "",
                "| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" for _ in HEADERS) + "|",
                *("| " + " | ".join(side.cells(serial.seconds)) + " |" for side in sides), "", verdict, ""]
    (out / "results.md").write_text("\n".join(markdown), encoding="utf-8")
    print(f"written: {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
