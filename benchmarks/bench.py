"""How fast, and how big, are ims-xl's commands at 10,000 to 200,000 records, against a floor.

What it measures
----------------
For each N (``--records``, default 10,000, 50,000, 100,000 and 200,000) the script

1. makes a synthetic IMS download of N records over all eight sections (about 80% b2b, 8% b2bcn,
   4% b2bdn, 3% b2ba, 2% b2bcna, 1% b2bdna, 1% ecom, 1% ecoma), with valid supplier GSTINs (a
   few thousand suppliers), document numbers as strings (some with leading zeros), dd-mm-yyyy
   dates, two-decimal amounts and the portal's flags (0.5% of the numbers draw a validator
   warning, as real data does); and a purchase register CSV holding ~90% of those records (a few
   with different amounts or differently written numbers) padded to exactly N lines with entries
   the supplier never uploaded, so reconcile is N x N. The same seed gives the same files every time;
2. times ims-xl's commands as whole processes (``python -m ims_xl.cli -q ...``, interpreter start
   and imports included): ``open`` (to .xlsm), ``validate``, ``generate`` (after a helper process,
   not timed, has set ~10% of the statuses through ``FilePort``) and ``reconcile`` (skipped, and
   said so, when ``ims_xl/register.py`` is not there yet);
3. times the floor, also as separate processes: *write floor* = ``json.loads(parse_float=Decimal)``
   of the same download plus XlsxWriter (``constant_memory``) writing the same cells (the same
   rows x columns, the same value types: text, numbers, dates, and the hidden record JSON, made
   with ``jsonio.dumps`` as the book's is) to an .xlsx; *read floor* = one python-calamine pass
   over the book ``open`` wrote (what ims-xl reads with); *minimal write* = one inflate-and-deflate
   pass over that book's section sheets (the least an in-place edit of them costs). An openpyxl
   ``read_only`` pass and the bare start of ``ims-xl --version`` are shown for comparison.

How it measures
---------------
Each measured command runs under a small launcher process (``LAUNCHER`` below, a fresh Python
with only the standard library loaded) that starts it with ``subprocess.Popen``, reaps it with
``os.wait4(pid)`` and reports the kernel's accounting of exactly that child: wall time from start
to reaping, user + system CPU, and ``ru_maxrss``, its peak resident set. The launcher is needed:
Linux counts the memory a process had *before* it called exec into its ``ru_maxrss``, and Python
starts children with vfork, so a child started directly by this (large) script would report this
script's peak instead of its own. Started from the launcher, the floor under every reading is the
launcher's ~13 MiB, below what any measured process uses. (``getrusage(RUSAGE_CHILDREN)`` deltas
would be wrong too: ru_maxrss is a maximum over all reaped children, not a sum; and a ``python -c``
wrapper reading ``RUSAGE_SELF`` inherits the same pre-exec peak.) ``ru_maxrss`` is KiB on Linux
and bytes on macOS; it is shown in MiB. POSIX only (Linux, macOS).

How to run
----------
From the repository root (ims_xl installed, or importable from the checkout)::

    python benchmarks/bench.py                       # N = 10,000, 50,000, 100,000 and 200,000
    python benchmarks/bench.py --records 10000       # one size
    python benchmarks/bench.py --repeat 3            # 3 rounds, the fastest run of each step kept
    python benchmarks/bench.py --profile auto        # also cProfile the slowest of open/validate/generate
    python benchmarks/bench.py --code /tmp/other     # measure another export of ims_xl on the same inputs

Inputs, workbooks, logs and profiles go to ``--out`` (default ``benchmarks/out``, git-ignored);
the table is printed and written to ``<out>/results.md``, with the commit measured (and the files
under ims_xl/ changed from it); a profile goes to ``<out>/n<N>/profile/<command>.txt`` (cumulative
and own time, top 30) beside the ``.prof`` file for ``python -m pstats`` or snakeviz. Wall times
suffer when other work shares the cores: the CPU seconds and the load average are shown to tell
such a run apart, and ``--repeat`` keeps the fastest of several rounds.

How to read the ratios
----------------------
``ratio`` = the command's seconds / its floor's seconds, where the floor is the least work the
command cannot avoid: ``open`` parses the download and writes a new book (write floor; target
0.8 or less, since ims-xl streams the section rows with its own writer); ``validate``,
``generate`` and ``reconcile`` read the whole book and write back the sheets they change, in place
(read floor + minimal write; target 2.0 or less). Peak memory targets: 400 MiB at 100,000
records, 600 MiB at 200,000, on 2 cores. Each floor has its own process and imports, like the
command it is compared with.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable from a checkout where ims_xl is not installed
    sys.path.insert(0, str(ROOT))
CODE = ROOT  # the checkout whose ims_xl the measured processes run (--code)

from ims_xl.core import jsonio  # noqa: E402
from ims_xl.core.gstin import with_check_character  # noqa: E402
from ims_xl.core.sections import ACTION_LABELS, BY_KEY, FIRST_DATA_ROW, HEADER_ROW, SECTIONS, Kind  # noqa: E402

DEFAULT_SIZES = (10_000, 50_000, 100_000, 200_000)
SEED = 20251020
RECIPIENT = with_check_character("27AAPFU0939F1Z")
PERIOD = "102025"

# Share of records per section, as in a typical trading business's month.
SECTION_MIX = {"b2b": 0.80, "b2bcn": 0.08, "b2bdn": 0.04, "b2ba": 0.03, "b2bcna": 0.02, "b2bdna": 0.01,
               "ecom": 0.01, "ecoma": 0.01}
CHANGED_SHARE = 0.10  # statuses set by hand before generate
REGISTER_SHARE = 0.90  # IMS records also in the register
REGISTER_AMOUNT_DIFFERS = 0.05  # of those, booked with different amounts
REGISTER_NUMBER_RESTYLED = 0.03  # of those, number written differently (case, zeros, spaces)
REGISTER_EXTRA = 0.05  # at least this share of N in register lines with no IMS record (padded to N lines)
# Copies of the book kept between steps: each command's input, for repeats and the profiler.
OPENED, CHANGED, GENERATED = "opened.xlsm", "changed.xlsm", "generated.xlsm"

_CENT = Decimal("0.01")
_STATES = ("27", "27", "27", "27", "24", "29", "07", "33", "09", "19", "36", "06", "08", "32")
_WORDS = ("Shree", "Ganesh", "Sai", "Balaji", "Laxmi", "Om", "Jai", "Bharat", "Deccan", "Sahyadri", "Konkan",
          "Tumkur", "Chennai", "Hindustan", "National", "Royal", "Star", "Unique", "Global", "Vijay")
_TRADES = ("Traders", "Enterprises", "Steel", "Agro Foods", "Logistics", "Packaging", "Chemicals", "Textiles",
           "Electricals", "Pharma", "Tools Co", "Plastics", "Auto Parts", "Paper Mills", "Hardware")
_FORMS = ("Pvt Ltd", "LLP", "& Co", "", "", "Ltd")


# --- the synthetic download and register ------------------------------------------------------------


@dataclass(frozen=True)
class Supplier:
    gstin: str
    name: str
    prefix: str  # how this supplier numbers its documents
    style: int  # 0: PREFIX/2025/00042, 1: 000042 (leading zeros), 2: PREFIX-42, 3: 2025260000000042


def _letters(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(count))


def make_suppliers(rng: random.Random, count: int) -> list[Supplier]:
    suppliers: list[Supplier] = []
    seen: set[str] = set()
    while len(suppliers) < count:
        pan = f"{_letters(rng, 3)}{rng.choice('CFPH')}{_letters(rng, 1)}{rng.randrange(10_000):04d}{_letters(rng, 1)}"
        gstin = with_check_character(f"{rng.choice(_STATES)}{pan}{rng.choice('1112')}Z")
        if gstin in seen:
            continue
        seen.add(gstin)
        name = f"{rng.choice(_WORDS)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}".strip()
        suppliers.append(Supplier(gstin, name, _letters(rng, rng.choice((2, 3))), rng.randrange(4)))
    return suppliers


def _document_number(supplier: Supplier, serial: int, note: bool) -> str:
    prefix = f"{supplier.prefix}N" if note else supplier.prefix  # notes are numbered apart from invoices
    if supplier.style == 0:
        return f"{prefix}/2025/{serial:05d}"
    if supplier.style == 1:
        return f"{serial:06d}"
    if supplier.style == 2:
        return f"{prefix}-{serial}"
    return f"20252600{serial:08d}"


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _amount_or_zero(amount: Decimal) -> Decimal | int:
    return amount if amount else 0  # the portal writes untaxed heads as a bare 0


def make_download(n: int, seed: int = SEED) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """A download of ``n`` records and, in file order, (section key, record) for the register."""
    rng = random.Random(seed)
    suppliers = make_suppliers(rng, max(20, min(3_000, n // 30)))
    serials = {s.gstin: rng.randrange(1, 500) for s in suppliers}
    counts = {key: int(n * share) for key, share in SECTION_MIX.items()}
    counts["b2b"] += n - sum(counts.values())
    month_start = date(2025, 10, 1)
    sections: dict[str, list[dict[str, Any]]] = {}
    flat: list[tuple[str, dict[str, Any]]] = []
    for key, count in counts.items():
        section = BY_KEY[key]
        records: list[dict[str, Any]] = []
        for _ in range(count):
            supplier = rng.choice(suppliers)
            serials[supplier.gstin] += 1
            number = _document_number(supplier, serials[supplier.gstin], section.is_note)
            if rng.random() < 0.005:  # a few numbers the validator warns about
                number = number.replace("/", " ").replace("-", "_")
            day = month_start + timedelta(days=rng.randrange(31))
            record: dict[str, Any] = {"stin": supplier.gstin, "tradenm": supplier.name}
            if section.is_amendment:
                original_day = day - timedelta(days=rng.randrange(20, 90))
                assert section.original_number_key and section.original_date_key
                record[section.original_number_key] = number
                record[section.original_date_key] = original_day.strftime("%d-%m-%Y")
                if rng.random() < 0.3:
                    number += "A"
                day = original_day
            record[section.number_key] = number
            record[section.date_key] = day.strftime("%d-%m-%Y")
            if section.has_supply_type:
                record["inv_typ"] = rng.choices(("R", "SEWP", "SEWOP", "DE", "CBW"), (90, 2, 3, 4, 1))[0]
            taxable = _money(rng.randrange(10_000, 5_000_000) if key != "ecom" else rng.randrange(10_000, 500_000))
            rate = Decimal(rng.choice((5, 12, 18, 18, 18, 28)))
            tax = (taxable * rate / 100).quantize(_CENT)
            intra = supplier.gstin[:2] == RECIPIENT[:2]
            half = (tax / 2).quantize(_CENT)
            cess = (taxable * Decimal("0.12")).quantize(_CENT) if rate == 28 and rng.random() < 0.2 else Decimal(0)
            iamt, camt, samt = (Decimal(0), half, half) if intra else (tax, Decimal(0), Decimal(0))
            action = rng.choices("NAPR", (90, 6, 3, 1))[0]
            record.update({
                "val": taxable + iamt + camt + samt + cess, "pos": RECIPIENT[:2], "txval": taxable,
                "iamt": _amount_or_zero(iamt), "camt": _amount_or_zero(camt), "samt": _amount_or_zero(samt),
                "cess": _amount_or_zero(cess), "action": action,
            })
            if action == "P":
                record["remarks"] = "Awaiting delivery proof"
            record.update({
                "srcform": rng.choices(("R1", "IFF", "R1A"), (85, 10, 5))[0], "rtnprd": PERIOD,
                "srcfilstatus": rng.choices(("Filed", "Not Filed"), (80, 20))[0],
                "ispendactblocked": "Y" if rng.random() < 0.05 else "N",
                "isRemarksBlocked": "Y" if rng.random() < 0.02 else "N",
            })
            if section.takes_itc_declaration:
                record["isItcRedReqBlocked"] = "Y" if rng.random() < 0.3 else "N"
            if rng.random() < 0.5:
                record["hash"] = f"{rng.getrandbits(256):064x}"
            records.append(record)
            flat.append((key, record))
        sections[key] = records
    return {"gstin": RECIPIENT, "rtnprd": PERIOD, "imsDetails": sections}, flat


REGISTER_HEADERS = ("Supplier GSTIN", "Document Number", "Document Date", "Document Type", "Taxable Value",
                    "IGST", "CGST", "SGST", "Cess")


def _restyled(number: str, rng: random.Random) -> str:
    """The same number as an accountant might key it: other case, no leading zeros, spaces."""
    choice = rng.randrange(3)
    if choice == 0:
        return number.lower()
    if choice == 1:
        return number.lstrip("0") or number
    return number.replace("/", " / ")


def make_register(flat: Sequence[tuple[str, dict[str, Any]]], n: int, seed: int = SEED) -> list[list[str]]:
    """Register rows (header first): ~90% of the records, a few differing, padded with entries that
    have no IMS record to exactly N lines, so the reconcile is N records against N register lines."""
    rng = random.Random(seed + 1)
    rows: list[list[str]] = []
    for key, record in flat:
        if rng.random() >= REGISTER_SHARE:
            continue  # not booked yet
        section = BY_KEY[key]
        number = str(record[section.number_key])
        if rng.random() < REGISTER_NUMBER_RESTYLED:
            number = _restyled(number, rng)
        amounts = [Decimal(record[head]) for head in ("txval", "iamt", "camt", "samt", "cess")]
        if rng.random() < REGISTER_AMOUNT_DIFFERS:
            factor = Decimal(rng.choice(("0.9", "1.1", "1.02")))
            amounts = [(amount * factor).quantize(_CENT) for amount in amounts]
        rows.append([record["stin"], number, record[section.date_key], section.document_type,
                     *(f"{amount:.2f}" for amount in amounts)])
    suppliers = sorted({record["stin"] for _, record in flat})
    for serial in range(max(n - len(rows), int(n * REGISTER_EXTRA))):
        taxable = _money(rng.randrange(10_000, 2_000_000))
        tax = (taxable * Decimal("0.18")).quantize(_CENT)
        day = date(2025, 10, 1) + timedelta(days=rng.randrange(31))
        rows.append([rng.choice(suppliers), f"NU/{serial:06d}", day.strftime("%d-%m-%Y"), "Invoice",
                     f"{taxable:.2f}", f"{tax:.2f}", "0.00", "0.00", "0.00"])
    rng.shuffle(rows)
    return [list(REGISTER_HEADERS), *rows]


def write_inputs(directory: Path, n: int) -> tuple[Path, Path, int]:
    directory.mkdir(parents=True, exist_ok=True)
    document, flat = make_download(n)
    download = directory / "download.json"
    download.write_text(jsonio.dumps(document), encoding="utf-8")
    register = directory / "register.csv"
    rows = make_register(flat, n)
    with register.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return download, register, len(rows) - 1


# --- child processes: the floors and the helper --------------------------------------------------------


def _portal_date(text: str) -> date:
    return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))


_RAW_KEY = {"pending_blocked": "ispendactblocked", "remarks_blocked": "isRemarksBlocked",
            "itc_blocked": "isItcRedReqBlocked"}
_LABEL_FIELDS = ("status", "previous_status")
_ALWAYS_EMPTY = ("itc", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess", "sheet_errors", "portal_errors",
                 "suggested_action", "match_result", "refresh_note")


def floor_write(download: str, target: str) -> None:
    """Parse the download and write the same cells a freshly opened book has, and nothing else."""
    import xlsxwriter

    document = json.loads(Path(download).read_bytes().decode("utf-8-sig"), parse_float=Decimal)
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    formats = {Kind.TEXT: book.add_format({"num_format": "@"}), Kind.LABEL: book.add_format({"num_format": "@"}),
               Kind.MONEY: book.add_format({"num_format": "#,##0.00"}),
               Kind.DATE: book.add_format({"num_format": "dd-mm-yyyy"})}
    for section in SECTIONS:
        sheet = book.add_worksheet(section.sheet)
        getters = []
        for c, column in enumerate(section.columns):
            sheet.write_string(HEADER_ROW - 1, c, column.header)
            name = column.field
            key = {"number": section.number_key, "date": section.date_key,
                   "original_number": section.original_number_key,
                   "original_date": section.original_date_key}.get(name, _RAW_KEY.get(name, name))
            getters.append((c, name, key, column.kind, formats[column.kind]))
        for r, raw in enumerate(document["imsDetails"].get(section.key, ()), start=FIRST_DATA_ROW - 1):
            for c, name, key, kind, cell_format in getters:
                if name in _ALWAYS_EMPTY:
                    continue
                if name == "record":
                    sheet.write_string(r, c, jsonio.dumps(raw), cell_format)
                elif name in _LABEL_FIELDS:
                    sheet.write_string(r, c, ACTION_LABELS[raw.get("action", "N")], cell_format)
                else:
                    value = raw.get(key)
                    if value is None:
                        continue
                    if kind is Kind.MONEY:
                        sheet.write_number(r, c, float(value), cell_format)
                    elif kind is Kind.DATE:
                        sheet.write_datetime(r, c, _portal_date(value), cell_format)
                    else:
                        sheet.write_string(r, c, str(value), cell_format)
    book.close()


def read_openpyxl(path: str) -> None:
    """One read_only, values_only pass over every sheet."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
    book.close()
    print(f"{cells} cells")


def read_calamine(path: str) -> None:
    """One python-calamine pass over every sheet (what ims_xl.files.fileport reads with)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    cells = 0
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).iter_rows():
            cells += len(row)
    print(f"{cells} cells")


def minimal_write(path: str, target: str) -> None:
    """The least an in-place edit of every section sheet costs: inflate each section sheet's part
    and deflate it again, into a new package (no parsing, no other parts)."""
    import zipfile

    from ims_xl.files.package import Package

    with Package(Path(path)) as package, zipfile.ZipFile(target, "w") as out:
        for section in SECTIONS:
            part = package.sheet_parts[section.sheet]
            out.writestr(package.zip.getinfo(part), package.read(part), compress_type=zipfile.ZIP_DEFLATED)
    print("section sheets inflated and deflated")


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


CHILDREN = {"floor-write": floor_write, "read-openpyxl": read_openpyxl, "read-calamine": read_calamine,
            "minimal-write": minimal_write, "set-statuses": set_statuses}


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


def child(mode: str, *args: str | Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", mode, *map(str, args)]


@dataclass
class Row:
    operation: str
    n: int
    run: Run | None  # None: skipped
    floor: float | None = None  # seconds of the floor this operation is compared with
    note: str = ""

    def cells(self) -> list[str]:
        if self.run is None:
            return [self.operation, f"{self.n:,}", "skipped", "", "", "", "", self.note]
        ratio = f"{self.run.seconds / self.floor:.2f}" if self.floor else ""
        exit_text = str(self.run.exit_code)
        return [self.operation, f"{self.n:,}", f"{self.run.seconds:.2f}", f"{self.run.cpu:.2f}",
                f"{self.floor:.2f}" if self.floor else "", ratio, f"{self.run.peak_mib:.0f}",
                exit_text + (f" {self.note}" if self.note else "")]


HEADERS = ["operation", "N", "seconds", "CPU s", "floor s", "ratio", "peak MiB", "exit / note"]


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
    download, register, register_rows = write_inputs(directory, n)
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
        run = measure(argv, logs / f"{label}.log")
        if label not in best or run.seconds < best[label].seconds:
            best[label] = run
        print(f"  {label:<14} {run.seconds:7.2f}s  {run.peak_mib:6.0f} MiB  exit {run.exit_code}", flush=True)
        if run.exit_code not in (0, 1):
            print(f"    {_last_line(run.log)}", flush=True)
        return run

    def keep(name: str) -> Path:
        snapshot = directory / name
        shutil.copy2(book, snapshot)
        return snapshot

    opened_book, changed_book, generated_book = directory / OPENED, directory / CHANGED, directory / GENERATED
    has_register = (CODE / "ims_xl" / "register.py").exists()
    for round_number in range(1, repeat + 1):
        if repeat > 1:
            print(f" round {round_number} of {repeat}", flush=True)
        first = round_number == 1
        step("startup", cli("--version"))
        step("floor-write", child("floor-write", download, directory / "floor.xlsx"))
        opened = step("open", cli("open", download, "-o", book), fresh=True)
        if first:
            if opened.exit_code != 0:
                raise SystemExit(f"open failed ({_last_line(opened.log)}); see {opened.log}")
            keep(OPENED)  # as open wrote it: the read floors' and validate's input
        step("floor-read", child("read-openpyxl", opened_book))
        step("calamine-read", child("read-calamine", opened_book))
        step("minimal-write", child("minimal-write", opened_book, directory / "minimal.zip"))
        step("validate", cli("validate", book), opened_book)
        if first:  # the user's work on the validated book: not timed, done once
            helper = measure(child("set-statuses", book, CHANGED_SHARE), logs / "set-statuses.log")
            if helper.exit_code != 0:
                raise SystemExit(f"the status helper failed ({_last_line(helper.log)}); see {helper.log}")
            keep(CHANGED)
        step("generate", cli("generate", book, "-o", directory / "upload.json"), changed_book)
        if first:
            keep(GENERATED)
        if has_register:
            step("reconcile", cli("reconcile", book, register), generated_book)
    if not has_register:
        print("  reconcile      skipped: ims_xl/register.py not there yet", flush=True)

    write_floor, read_floor, calamine = best["floor-write"], best["floor-read"], best["calamine-read"]
    minimal = best["minimal-write"]
    # An in-place edit's floor: read what the book holds, write back the sheets it changes.
    in_place = calamine.seconds + minimal.seconds
    reconciled = best.get("reconcile")
    if reconciled is None:
        reconcile_note = "ims_xl/register.py not there yet"
    else:
        reconcile_note = "" if reconciled.exit_code == 0 else _last_line(reconciled.log)
    return [
        Row("open", n, best["open"], write_floor.seconds),
        Row("validate", n, best["validate"], in_place),
        Row("generate", n, best["generate"], in_place),
        Row("reconcile", n, reconciled, in_place, note=reconcile_note),
        Row("floor: write (json + XlsxWriter)", n, write_floor),
        Row("floor: read (calamine)", n, calamine),
        Row("floor: minimal write (inflate + deflate the section sheets)", n, minimal),
        Row("openpyxl read (comparison)", n, read_floor),
        Row("startup (ims-xl --version)", n, best["startup"]),
    ]


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
    run = measure(argv, work / f"{operation}.log")
    report = work / f"{operation}.txt"
    with report.open("w") as stream:
        stream.write(f"# cProfile of ims-xl {operation} at N={n:,}: {run.seconds:.1f}s wall under the profiler\n")
        for order in ("cumulative", "tottime"):
            stats = pstats.Stats(str(stats_file), stream=stream)
            stats.strip_dirs().sort_stats(order).print_stats(top)
    print(f"profile of {operation} at N={n:,}: {report}")
    return report


# --- the table ------------------------------------------------------------------------------------------


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
              "same cells (target: ratio <= 0.8). Floor for validate, generate and reconcile: a calamine read "
              "of the book + the minimal write, one inflate-and-deflate pass over the section sheets (target: "
              "ratio <= 2.0). Peak: the process's maximum resident set (ru_maxrss from wait4); target at most "
              "400 MiB at 100,000 records and 600 MiB at 200,000, on 2 cores.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:  # internal: one floor, or the status helper, in its own process
        mode, *rest = argv[1:]
        CHILDREN[mode](*rest)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N",
                        help="sizes to measure (default: 10000 100000)")
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
    global CODE
    CODE = args.code.resolve()

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(machine(), flush=True)
    code = code_state()
    print(f"code: {code}", flush=True)
    rows: list[Row] = []
    for n in args.records:
        rows += bench_size(n, out, max(1, args.repeat))
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
