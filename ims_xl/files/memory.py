"""Is there memory enough to read a workbook? Asked before the reader (python-calamine) runs: when
an allocation fails inside it, the process aborts (a Rust backtrace, exit 134, the lock left behind)
instead of raising MemoryError. The estimate is the sheets' XML size times what calamine holds per
byte of it, compared with what the process may still take (its address-space limit, ``ulimit -v``,
and the machine's available memory)."""

from __future__ import annotations

import re
import resource
from collections.abc import Iterable
from pathlib import Path

from ..core.problems import InputError
from .package import Package

# Measured: a 24.7 MB sheet (400 records) reads with 60 MB to spare, not with 30 MB.
BYTES_HELD_PER_XML_BYTE = 2.0
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')
_HEADER_ROWS = 4


class WorkbookNeeds:
    """What reading a workbook takes: its records (from the sheets' extents) and bytes of memory."""

    def __init__(self, package: Package, sheets: Iterable[str], section_sheets: Iterable[str]) -> None:
        parts = {sheet: package.sheet_parts.get(sheet, "") for sheet in sheets}
        sizes = {info.filename: info.file_size for info in package.zip.infolist()}
        self.bytes = int(sum(sizes.get(part, 0) for part in parts.values()) * BYTES_HELD_PER_XML_BYTE)
        self.records = sum(_rows(package, parts[sheet]) for sheet in section_sheets if parts.get(sheet) in sizes)

    def error(self, name: str) -> InputError:
        return InputError(f"{name}: not enough memory to read this workbook: {self.records:,} records need about "
                          f"{max(1, self.bytes >> 20):,} MB; close other programs, or use a PC with more memory; "
                          "nothing was written", code="not-enough-memory", file=name)

    def refuse_if_short(self, name: str) -> None:
        available = memory_available()
        if available is not None and self.bytes > available:
            raise self.error(name)


def _rows(package: Package, part: str) -> int:
    with package.zip.open(part) as stream:
        head = stream.read(4096)
    found = _DIMENSION.search(head)
    return max(0, int(found.group(1)) - _HEADER_ROWS) if found else 0


def memory_available() -> int | None:
    """Bytes this process may still allocate, as far as the system says (None: it does not say)."""
    limits = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        used = _status_kb("VmSize")
        if used is not None:
            limits.append(soft - used * 1024)
    available = _meminfo_kb("MemAvailable")
    if available is not None:
        limits.append(available * 1024)
    return min(limits) if limits else None


def _status_kb(key: str) -> int | None:
    return _field_kb(Path("/proc/self/status"), key)


def _meminfo_kb(key: str) -> int | None:
    return _field_kb(Path("/proc/meminfo"), key)


def _field_kb(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
