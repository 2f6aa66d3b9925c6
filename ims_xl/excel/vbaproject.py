"""Replace the source of one VBA module in a ``vbaProject.bin``, without Excel.

The build takes xlwings' own standalone VBA project (its ``xlwings`` module provides
``RunPython``) and swaps the source of ``Module1`` for our button module. The result is a
source-only project of the kind xlwings itself ships: Excel recompiles it from source on open.

Specifications followed:

- MS-OVBA 2.4.1: the CompressedContainer that holds the ``dir`` stream and module sources.
- MS-OVBA 2.3.4: the ``dir`` stream records (code page, module names, stream names, offsets)
  and the ``_VBA_PROJECT`` stream, whose performance cache "MUST NOT be present on write".
- MS-CFB: the compound file (``compound_file``: read with olefile, written there).

The output depends only on the input, so the same project and source give the same bytes.
"""

from __future__ import annotations

import codecs
import importlib.util
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .compound_file import Entry, read_compound_file, write_compound_file

__all__ = [
    "compress",
    "decompress",
    "module_names",
    "module_source",
    "replace_module_source",
    "xlwings_vba_project",
]

# --- MS-OVBA 2.4.1: CompressedContainer --------------------------------------------------

_CONTAINER_SIGNATURE = 0x01
_CHUNK_SIZE = 4096  # decompressed bytes per chunk, and the most data bytes a chunk may hold
_CHUNK_SIGNATURE = 0b011 << 12
_CHUNK_COMPRESSED = 0x8000
_MIN_COPY_LENGTH = 3  # a copy token is 2 bytes, so shorter matches do not pay


class _Token(NamedTuple):
    """One token of a chunk: ``encoded`` is 1 byte for a literal, 2 for a copy token."""

    covers: int  # how many decompressed bytes the token stands for
    encoded: bytes


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer (2.4.1.3.6).

    Never raises. A full 4096-byte chunk that would not shrink is stored raw, as the spec
    says. A raw chunk always holds 4096 bytes, and the spec would pad a shorter final chunk
    with zeros that then come back on decompression; so a final chunk that would not fit
    is split over two compressed chunks instead, which keeps every byte.
    """
    out = bytearray([_CONTAINER_SIGNATURE])
    start = 0
    while start < len(data):
        end = min(start + _CHUNK_SIZE, len(data))
        chunk, consumed = _compress_chunk(data, start, end)
        out += chunk
        start += consumed
    return bytes(out)


def _compress_chunk(data: bytes, start: int, end: int) -> tuple[bytes, int]:
    """Encode ``data[start:end]`` as one chunk; return it and how many bytes it covers."""
    body, consumed = _pack_tokens(_tokenize(data, start, end))
    if consumed < end - start and end - start == _CHUNK_SIZE:
        return _chunk_header(_CHUNK_SIZE, compressed=False) + data[start:end], _CHUNK_SIZE
    return _chunk_header(len(body), compressed=True) + body, consumed


def _chunk_header(body_size: int, *, compressed: bool) -> bytes:
    # CompressedChunkSize is the whole chunk size (2-byte header included) minus 3.
    flag = _CHUNK_COMPRESSED if compressed else 0
    return struct.pack("<H", flag | _CHUNK_SIGNATURE | (body_size - 1))


def _pack_tokens(tokens: list[_Token]) -> tuple[bytes, int]:
    """Group tokens in eights behind a flag byte, stopping before the body exceeds 4096 bytes."""
    body = bytearray()
    consumed = 0
    flag_at = 0
    for index, token in enumerate(tokens):
        bit = index % 8
        cost = len(token.encoded) + (1 if bit == 0 else 0)
        if len(body) + cost > _CHUNK_SIZE:
            break
        if bit == 0:
            flag_at = len(body)
            body.append(0)
        if len(token.encoded) == 2:
            body[flag_at] |= 1 << bit
        body += token.encoded
        consumed += token.covers
    return bytes(body), consumed


def _tokenize(data: bytes, start: int, end: int) -> list[_Token]:
    """Greedy LZ77 over one chunk (MS-OVBA 2.4.1.3.19.4; tie rule in ``_longest_match``)."""
    tokens: list[_Token] = []
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions in this chunk
    pos = start
    while pos < end:
        length, offset = _longest_match(data, start, pos, end, seen)
        if length >= _MIN_COPY_LENGTH:
            tokens.append(_Token(length, _copy_token(pos - start, offset, length)))
        else:
            length = 1
            tokens.append(_Token(1, data[pos : pos + 1]))
        for covered in range(pos, min(pos + length, end - _MIN_COPY_LENGTH + 1)):
            seen.setdefault(data[covered : covered + _MIN_COPY_LENGTH], []).append(covered)
        pos += length
    return tokens


def _longest_match(
    data: bytes, start: int, pos: int, end: int, seen: dict[bytes, list[int]]
) -> tuple[int, int]:
    """Return (length, offset) of the copy to emit at ``pos``, or (0, 0) if there is none.

    As in the spec, a match is measured up to the chunk end and only then capped at the
    longest copy a token can hold. On ties the earliest occurrence wins (the spec takes the
    nearest): that reproduces, byte for byte, the containers in xlwings' shipped project.
    """
    longest_possible = end - pos
    if longest_possible < _MIN_COPY_LENGTH:
        return 0, 0
    best_length, best_offset = 0, 0
    for candidate in seen.get(data[pos : pos + _MIN_COPY_LENGTH], []):
        # A candidate can only win if it also matches the byte where the best one stopped.
        if best_length and data[candidate + best_length] != data[pos + best_length]:
            continue
        length = _common_length(data, candidate, pos, longest_possible)
        if length > best_length:
            best_length, best_offset = length, pos - candidate
            if length == longest_possible:
                break
    return min(best_length, _max_copy_length(pos - start)), best_offset


def _common_length(data: bytes, a: int, b: int, limit: int) -> int:
    """Length of the common prefix of ``data[a:]`` and ``data[b:]``, at least 3, at most ``limit``.

    Comparing past ``b`` is right: a copy may overlap the bytes it produces.
    """
    if data[a : a + limit] == data[b : b + limit]:
        return limit
    equal, differs = _MIN_COPY_LENGTH, limit
    while differs - equal > 1:
        middle = (equal + differs) // 2
        if data[a : a + middle] == data[b : b + middle]:
            equal = middle
        else:
            differs = middle
    return equal


def _offset_bits(position_in_chunk: int) -> int:
    """CopyToken help (2.4.1.3.19.1): bits for the offset, growing with the position."""
    return max((position_in_chunk - 1).bit_length(), 4)


def _max_copy_length(position_in_chunk: int) -> int:
    return (0xFFFF >> _offset_bits(position_in_chunk)) + _MIN_COPY_LENGTH


def _copy_token(position_in_chunk: int, offset: int, length: int) -> bytes:
    bits = _offset_bits(position_in_chunk)
    return struct.pack("<H", ((offset - 1) << (16 - bits)) | (length - _MIN_COPY_LENGTH))


def decompress(data: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (2.4.1.3.1); raise ValueError if malformed."""
    if not data or data[0] != _CONTAINER_SIGNATURE:
        raise ValueError("not an MS-OVBA compressed container: first byte must be 0x01")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"compressed container truncated in a chunk header at byte {pos}")
        (header,) = struct.unpack_from("<H", data, pos)
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise ValueError(f"bad chunk signature at byte {pos}")
        chunk_size = (header & 0x0FFF) + 3
        body = data[pos + 2 : pos + chunk_size]
        if len(body) != chunk_size - 2:
            raise ValueError(f"compressed container truncated in the chunk at byte {pos}")
        if header & _CHUNK_COMPRESSED:
            _decompress_tokens(body, out)
        elif len(body) == _CHUNK_SIZE:
            out += body
        else:
            raise ValueError(f"raw chunk at byte {pos} holds {len(body)} bytes, not 4096")
        pos += chunk_size
    return bytes(out)


def _decompress_tokens(body: bytes, out: bytearray) -> None:
    """Append the decompressed bytes of one compressed chunk body to ``out``."""
    chunk_start = len(out)
    pos = 0
    while pos < len(body):
        flags = body[pos]
        pos += 1
        for bit in range(8):
            if pos >= len(body):
                break
            if not flags >> bit & 1:
                out.append(body[pos])
                pos += 1
                continue
            if pos + 2 > len(body):
                raise ValueError("copy token cut off at the end of a chunk")
            (token,) = struct.unpack_from("<H", body, pos)
            pos += 2
            _apply_copy_token(token, out, chunk_start)


def _apply_copy_token(token: int, out: bytearray, chunk_start: int) -> None:
    produced = len(out) - chunk_start
    bits = _offset_bits(produced)
    length = (token & (0xFFFF >> bits)) + _MIN_COPY_LENGTH
    offset = (token >> (16 - bits)) + 1
    if offset > produced:
        raise ValueError("copy token points before the start of its chunk")
    # The copy may overlap its own output, which repeats the last ``offset`` bytes.
    pattern = out[-offset:]
    out += (pattern * (length // offset + 1))[:length]


# --- MS-OVBA 2.3.4: the dir stream and _VBA_PROJECT --------------------------------------

_PROJECTCODEPAGE = 0x0003
_PROJECTVERSION = 0x0009
_DIR_TERMINATOR = 0x0010
_MODULENAME = 0x0019
_MODULESTREAMNAME = 0x001A
_MODULETYPE_PROCEDURAL = 0x0021
_MODULE_TERMINATOR = 0x002B
_MODULEOFFSET = 0x0031
_MODULESTREAMNAME_UNICODE = 0x0032
_DEFAULT_CODE_PAGE = 1252
_CODE_PAGE_CODECS = {10000: "mac-roman"}  # code pages Python does not know as "cpNNNN"

# Reserved1 0x61CC, Version 0xFFFF, then zeros: no performance cache, so Excel compiles from source.
_SOURCE_ONLY_VBA_PROJECT = bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00])
_SRP_PREFIX = "__SRP_"  # cached p-code streams, meaningless without the performance cache

_VB_NAME_LINE = re.compile(r'Attribute\s+VB_Name\s*=\s*"([^"]*)"', re.IGNORECASE)


@dataclass(frozen=True)
class _Record:
    record_id: int
    data_at: int  # where ``data`` starts in the decompressed dir stream
    data: bytes


@dataclass(frozen=True)
class _Module:
    name: str
    stream_name: str
    source_offset: int  # MODULEOFFSET: where the compressed source starts in the module stream
    offset_field_at: int  # where MODULEOFFSET's value sits in the decompressed dir stream
    procedural: bool


@dataclass(frozen=True)
class _ProjectInfo:
    codec: str
    modules: list[_Module]

    def module(self, name: str) -> _Module:
        for module in self.modules:
            if module.name == name:
                return module
        known = ", ".join(module.name for module in self.modules)
        raise ValueError(f"VBA module {name!r} does not exist in the project (modules: {known})")


def _dir_records(dir_stream: bytes) -> Iterator[_Record]:
    pos = 0
    while pos + 6 <= len(dir_stream):
        record_id, size = struct.unpack_from("<HI", dir_stream, pos)
        if record_id == _PROJECTVERSION:
            size = 6  # its size field is Reserved (4); MajorVersion and MinorVersion follow
        data_at = pos + 6
        if data_at + size > len(dir_stream):
            raise ValueError(f"dir stream record 0x{record_id:04X} at byte {pos} is truncated")
        yield _Record(record_id, data_at, dir_stream[data_at : data_at + size])
        if record_id == _DIR_TERMINATOR:
            return
        pos = data_at + size
    raise ValueError("dir stream ends without its terminator record")


def _project_info(dir_stream: bytes) -> _ProjectInfo:
    codec = _codec_for(_DEFAULT_CODE_PAGE)
    modules: list[_Module] = []
    module_records: list[_Record] | None = None
    for record in _dir_records(dir_stream):
        if record.record_id == _PROJECTCODEPAGE:
            codec = _codec_for(struct.unpack("<H", record.data)[0])
        if record.record_id == _MODULENAME:
            module_records = []
        if module_records is not None:
            module_records.append(record)
            if record.record_id == _MODULE_TERMINATOR:
                modules.append(_module_from(module_records, codec))
                module_records = None
    return _ProjectInfo(codec, modules)


def _module_from(records: list[_Record], codec: str) -> _Module:
    by_id = {record.record_id: record for record in records}
    name = by_id[_MODULENAME].data.decode(codec)
    if _MODULEOFFSET not in by_id or _MODULESTREAMNAME not in by_id:
        raise ValueError(f"dir stream: module {name!r} lacks its stream name or offset record")
    if _MODULESTREAMNAME_UNICODE in by_id:
        stream_name = by_id[_MODULESTREAMNAME_UNICODE].data.decode("utf-16-le")
    else:
        stream_name = by_id[_MODULESTREAMNAME].data.decode(codec)
    offset = by_id[_MODULEOFFSET]
    return _Module(
        name=name,
        stream_name=stream_name,
        source_offset=struct.unpack("<I", offset.data)[0],
        offset_field_at=offset.data_at,
        procedural=_MODULETYPE_PROCEDURAL in by_id,
    )


def _codec_for(code_page: int) -> str:
    try:
        return codecs.lookup(_CODE_PAGE_CODECS.get(code_page, f"cp{code_page}")).name
    except LookupError:
        raise ValueError(f"VBA project code page {code_page} is not supported") from None


def _with_source_offset_zero(dir_stream: bytes, module: _Module) -> bytes:
    patched = bytearray(dir_stream)
    struct.pack_into("<I", patched, module.offset_field_at, 0)
    return bytes(patched)


def _encoded_source(module_name: str, source: str, codec: str) -> bytes:
    """The module text as VBA stores it: VB_Name attribute first, CRLF, project code page."""
    text = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    vb_name = _VB_NAME_LINE.match(text)
    if vb_name is None:
        text = f'Attribute VB_Name = "{module_name}"\n{text}'
    elif vb_name.group(1) != module_name:
        raise ValueError(
            f"source for VBA module {module_name!r} names itself {vb_name.group(1)!r} in VB_Name"
        )
    try:
        return text.replace("\n", "\r\n").encode(codec)
    except UnicodeEncodeError as error:
        raise ValueError(
            f"source for VBA module {module_name!r} has characters that code page {codec} "
            f"cannot encode: {error.object[error.start : error.end]!r}"
        ) from None


def _drop_srp_streams(storage: Entry) -> None:
    storage.children = [child for child in storage.children if not child.name.startswith(_SRP_PREFIX)]
    for child in storage.children:
        _drop_srp_streams(child)


# --- Public API --------------------------------------------------------------------------


def xlwings_vba_project() -> bytes:
    """The ``xl/vbaProject.bin`` of the installed xlwings' ``quickstart_standalone.xlsm``."""
    spec = importlib.util.find_spec("xlwings")  # locate the package without importing it
    folders = spec.submodule_search_locations if spec else None
    if not folders:
        raise RuntimeError("xlwings is not installed; it provides the VBA project template")
    template = Path(next(iter(folders))) / "quickstart_standalone.xlsm"
    try:
        with zipfile.ZipFile(template) as workbook:
            return workbook.read("xl/vbaProject.bin")
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        raise RuntimeError(f"cannot read xl/vbaProject.bin from {template}: {error}") from error


def module_names(project: bytes) -> list[str]:
    """Names of the project's modules, in ``dir`` stream order."""
    vba = read_compound_file(project).child("VBA")
    return [module.name for module in _project_info(decompress(vba.child("dir").data)).modules]


def module_source(project: bytes, module_name: str) -> str:
    """A module's source with its ``Attribute`` lines, CRLF read back as "\\n"."""
    vba = read_compound_file(project).child("VBA")
    info = _project_info(decompress(vba.child("dir").data))
    module = info.module(module_name)
    stream = vba.child(module.stream_name).data
    return decompress(stream[module.source_offset :]).decode(info.codec).replace("\r\n", "\n")


def replace_module_source(project: bytes, module_name: str, source: str) -> bytes:
    """Return a copy of ``project`` whose standard module ``module_name`` holds ``source``.

    The module stream becomes the compressed source alone (its MODULEOFFSET is set to 0),
    ``_VBA_PROJECT`` loses its performance cache and ``__SRP_*`` streams are dropped, so
    Excel compiles the project from source. Every other stream is kept byte for byte.
    Raises ValueError if the module does not exist, is not a standard module, or the source
    cannot be encoded in the project's code page.
    """
    root = read_compound_file(project)
    vba = root.child("VBA")
    dir_stream = decompress(vba.child("dir").data)
    info = _project_info(dir_stream)
    module = info.module(module_name)
    if not module.procedural:
        raise ValueError(f"VBA module {module_name!r} is a document or class module, not a standard one")

    vba.child(module.stream_name).data = compress(_encoded_source(module_name, source, info.codec))
    vba.child("dir").data = compress(_with_source_offset_zero(dir_stream, module))
    vba.child("_VBA_PROJECT").data = _SOURCE_ONLY_VBA_PROJECT
    _drop_srp_streams(root)
    return write_compound_file(root)
