"""A compound file (MS-CFB), the container a ``vbaProject.bin`` is: read with olefile, written here.

Written as version 3: 512-byte sectors, 64-byte mini sectors, mini-stream cutoff 4096 bytes. The
output depends only on the input (entries in CFB order, fixed timestamps copied through), so the
same project gives the same bytes.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

import olefile

__all__ = ["Entry", "read_compound_file", "write_compound_file"]

# --- MS-CFB: the compound file -----------------------------------------------------------

_STORAGE, _STREAM, _ROOT = 1, 2, 5  # directory entry object types
_BLACK = 1
_NOSTREAM = 0xFFFFFFFF
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_SECTOR_SIZE = 512
_MINI_SECTOR_SIZE = 64
_MINI_STREAM_CUTOFF = 4096
_HEADER_DIFAT_SLOTS = 109
_DIR_ENTRY_SIZE = 128
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_HEADER = struct.Struct("<8s16sHHHHH6sIIIIIIIII")
_DIR_ENTRY = struct.Struct("<64sHBBIII16sIQQIQ")
_UNUSED_DIR_ENTRY = _DIR_ENTRY.pack(b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, bytes(16), 0, 0, 0, 0, 0)


@dataclass
class Entry:
    """A storage or stream of the compound file, with the metadata we copy through."""

    name: str
    kind: int
    data: bytes = b""
    children: list[Entry] = field(default_factory=list)
    clsid: bytes = bytes(16)
    state_bits: int = 0
    created: int = 0
    modified: int = 0

    def child(self, name: str) -> Entry:
        for child in self.children:
            if child.name.upper() == name.upper():  # CFB names compare case-insensitively
                return child
        raise ValueError(f"compound file has no {name!r} under {self.name!r}")


@dataclass
class _Slot:
    """A directory entry being written: the entry and its tree links (directory ids)."""

    entry: Entry
    child: int = _NOSTREAM
    right: int = _NOSTREAM


class _SectorChains:
    """Sectors of one size laid end to end, with their allocation table (FAT or MiniFAT)."""

    def __init__(self, sector_size: int) -> None:
        self.sector_size = sector_size
        self.body = bytearray()
        self.table: list[int] = []

    def add(self, data: bytes) -> int:
        """Store ``data`` in new consecutive sectors and return the first one."""
        if not data:
            return _ENDOFCHAIN
        first = len(self.table)
        count = -(-len(data) // self.sector_size)
        self.table += [*range(first + 1, first + count), _ENDOFCHAIN]
        self.body += data + bytes(count * self.sector_size - len(data))
        return first


def read_compound_file(data: bytes) -> Entry:
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        return _entry_from(ole, ole.root, [])


def _entry_from(ole: olefile.OleFileIO, node: olefile.OleDirectoryEntry, path: list[str]) -> Entry:
    is_stream = node.entry_type == _STREAM
    return Entry(
        name=node.name,
        kind=node.entry_type,
        data=ole.openstream(path).read() if is_stream else b"",
        children=[] if is_stream else [_entry_from(ole, kid, [*path, kid.name]) for kid in node.kids],
        clsid=_clsid_bytes(node.clsid),
        state_bits=node.dwUserFlags,
        created=node.createTime,
        modified=node.modifyTime,
    )


def _clsid_bytes(clsid: str) -> bytes:
    # olefile shows a CLSID as "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX", or "" when all zero.
    if not clsid:
        return bytes(16)
    fields = bytes.fromhex(clsid.replace("-", ""))
    return fields[3::-1] + fields[5:3:-1] + fields[7:5:-1] + fields[8:]


def _cfb_order(entry: Entry) -> tuple[int, str]:
    """MS-CFB 2.6.4 sibling order: shorter names first, then by upper-cased name."""
    return len(entry.name), entry.name.upper()


def _directory_slots(root: Entry) -> list[_Slot]:
    """Root first, then each storage's children depth first.

    Siblings are sorted and chained through right links, all black: MS-CFB 2.6.4 allows
    this degenerate red-black tree, and xlwings' shipped projects use the same shape.
    """
    slots = [_Slot(root)]
    _add_children(root, slots[0], slots)
    return slots


def _add_children(storage: Entry, storage_slot: _Slot, slots: list[_Slot]) -> None:
    previous: _Slot | None = None
    for child in sorted(storage.children, key=_cfb_order):
        slot = _Slot(child)
        if previous is None:
            storage_slot.child = len(slots)
        else:
            previous.right = len(slots)
        slots.append(slot)
        previous = slot
        _add_children(child, slot, slots)


def write_compound_file(root: Entry) -> bytes:
    """Lay out the file: large streams, mini stream, MiniFAT, directory, then the FAT."""
    slots = _directory_slots(root)
    sectors = _SectorChains(_SECTOR_SIZE)
    mini_sectors = _SectorChains(_MINI_SECTOR_SIZE)
    placements = [_place_stream(slot.entry, sectors, mini_sectors) for slot in slots]
    placements[0] = (sectors.add(bytes(mini_sectors.body)), len(mini_sectors.body))

    mini_fat = _table_bytes(mini_sectors.table)
    first_mini_fat = sectors.add(mini_fat)
    directory = b"".join(
        _pack_dir_entry(slot, start, size) for slot, (start, size) in zip(slots, placements, strict=True)
    )
    entries_per_sector = _SECTOR_SIZE // _DIR_ENTRY_SIZE
    unused_entries = -len(slots) % entries_per_sector
    first_directory = sectors.add(directory + _UNUSED_DIR_ENTRY * unused_entries)
    fat_sectors = _append_fat(sectors)

    header = _HEADER.pack(
        _CFB_SIGNATURE, bytes(16), 0x003E, 3, 0xFFFE, 9, 6, bytes(6),
        0,  # number of directory sectors: always 0 in version 3
        len(fat_sectors), first_directory, 0, _MINI_STREAM_CUTOFF,
        first_mini_fat, len(mini_fat) // _SECTOR_SIZE,
        _ENDOFCHAIN, 0,  # no DIFAT sectors: the header holds every FAT sector number
    )  # fmt: skip
    difat = fat_sectors + [_FREESECT] * (_HEADER_DIFAT_SLOTS - len(fat_sectors))
    return header + struct.pack(f"<{_HEADER_DIFAT_SLOTS}I", *difat) + bytes(sectors.body)


def _place_stream(entry: Entry, sectors: _SectorChains, mini_sectors: _SectorChains) -> tuple[int, int]:
    """Store a stream's data; return (starting sector, size) for its directory entry."""
    if entry.kind != _STREAM:
        return 0, 0
    if len(entry.data) >= _MINI_STREAM_CUTOFF:
        return sectors.add(entry.data), len(entry.data)
    return mini_sectors.add(entry.data), len(entry.data)


def _table_bytes(table: list[int]) -> bytes:
    """An allocation table padded with free entries to whole sectors."""
    per_sector = _SECTOR_SIZE // 4
    padded = table + [_FREESECT] * (-len(table) % per_sector)
    return struct.pack(f"<{len(padded)}I", *padded)


def _append_fat(sectors: _SectorChains) -> list[int]:
    """Append the FAT, which must also describe its own sectors; return their numbers."""
    per_sector = _SECTOR_SIZE // 4
    count = 0
    while count * per_sector < len(sectors.table) + count:
        count += 1
    if count > _HEADER_DIFAT_SLOTS:
        raise ValueError("VBA project too large for a compound file without DIFAT sectors")
    first = len(sectors.table)
    sectors.table += [_FATSECT] * count
    sectors.body += _table_bytes(sectors.table)
    return list(range(first, first + count))


def _pack_dir_entry(slot: _Slot, start: int, size: int) -> bytes:
    entry = slot.entry
    name = entry.name.encode("utf-16-le") + b"\0\0"
    if len(name) > 64:
        raise ValueError(f"compound file entry name {entry.name!r} is longer than 31 characters")
    return _DIR_ENTRY.pack(
        name, len(name), entry.kind, _BLACK, _NOSTREAM, slot.right, slot.child,
        entry.clsid, entry.state_bits, entry.created, entry.modified, start, size,
    )  # fmt: skip
