"""Portal files on disk: the IMS download, the error file, and the upload we write.

Reads ``.json`` or a ``.zip`` holding one JSON file, UTF-8 with or without a byte-order mark, or UTF-16
with one.
Every failure is an ``InputError`` with one line naming the file and what is wrong.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core import jsonio
from ..core.problems import InputError
from ..core.records import PortalFile, read_portal_object
from ..core.sections import FIRST_DATA_ROW
from .atomic import replacing

# The limits follow from what a download can be, not from a fixed size: a section sheet holds at
# most MAX_RECORDS records (Excel's 1,048,576 rows less the rows above the table), and a record is
# some 430 bytes as the portal writes it (about 700 pretty-printed), so no real download passes
# MAX_RECORDS x BYTES_PER_RECORD (1 GiB). What a parsed file costs in memory depends on how many
# values it holds, not on its bytes: a hostile file of a billion tiny numbers is small on disk and
# huge once parsed, so before parsing the objects and values are counted (one byte scan each) and
# a file must look like records: at most MAX_RECORDS objects and VALUES_PER_OBJECT values each.
MAX_RECORDS = 1_048_576 - FIRST_DATA_ROW + 1
BYTES_PER_RECORD = 1024
MAX_JSON_BYTES = MAX_RECORDS * BYTES_PER_RECORD
VALUES_PER_OBJECT = 64  # an IMS record has about 25 fields
_DENSITY_CHECKED_FROM = 1 << 20  # small files cannot exhaust memory, whatever they hold
ZIP_RATIO_LIMIT = 100  # JSON deflates 8 to 15 times; a member that expands far more is a zip bomb
_READ_CHUNK = 1 << 20
# An escaped UTF-16 surrogate: legal JSON, but alone it is no character and cannot be written out.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def read_portal_file(path: str | os.PathLike[str]) -> PortalFile:
    file = Path(path)
    return read_portal_object(load_json_document(file), file.name)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The file's SHA-256 (hex), as the change log records a download or an upload."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def file_saved(path: str | os.PathLike[str]) -> datetime:
    """When the file was last written (downloaded), in local time."""
    return datetime.fromtimestamp(os.stat(path).st_mtime)


def load_json_document(file: Path) -> Any:
    name = file.name
    try:
        if file.is_file() and file.stat().st_size > MAX_JSON_BYTES:
            raise InputError(f"{name}: {file.stat().st_size / 2**20:,.0f} MB is too large to be an IMS file "
                             f"(the limit is {MAX_JSON_BYTES >> 20:,} MB)", code="file-too-large", file=name)
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{file}: no such file", code="no-such-file", file=file) from None
    except IsADirectoryError:
        raise InputError(f"{file}: is a folder, not a file", code="is-a-folder", file=file) from None
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})", code="cannot-read-file", file=file) from None
    if not data or data.isspace():  # not strip(): that would copy a 430 MB file
        raise InputError(f"{name}: the file is empty", code="empty-file", file=name)
    if data[:4] == b"PK\x03\x04":
        name, data = _unzip_one_json(name, data)
    _refuse_what_parses_too_large(name, data)
    text = _text_of(name, data)
    del data  # the text alone from here: at a million records the bytes are 430 MB
    return _parse(name, text)


def _refuse_what_parses_too_large(name: str, data: bytes) -> None:
    """Refuse, before parsing, a file with more records than a sheet holds, or with far more values
    than records carry (what parsing would turn into gigabytes of objects)."""
    if len(data) <= _DENSITY_CHECKED_FROM:
        return
    objects = data.count(b"{")  # braces inside texts count too: an upper bound, which errs towards reading
    if objects > MAX_RECORDS + 1000:
        raise InputError(f"{name}: holds some {objects:,} records, more than the {MAX_RECORDS:,} a sheet can "
                         "take; nothing was read", code="too-many-records", file=name)
    values = data.count(b",") + 1
    if values > VALUES_PER_OBJECT * max(objects, 1):
        raise InputError(f"{name}: holds {values:,} values in {objects:,} objects, far more than IMS records "
                         "carry; too large to read safely, nothing was read", code="file-too-large", file=name)


def _unzip_one_json(name: str, data: bytes) -> tuple[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
            if any(m.filename == "xl/workbook.xml" for m in members):  # .xlsx/.xlsm are zips too
                raise InputError(f"{name}: this is an Excel workbook, not the IMS download; give the .json or .zip "
                                 "from IMS Dashboard > Offline > Download JSON", code="not-json-text", file=name)
            jsons = [m for m in members if m.filename.lower().endswith(".json")] or members
            if len(jsons) != 1:
                found = ", ".join(m.filename for m in members) or "nothing"
                raise InputError(f"{name}: expected one JSON file in the zip, found {found}",
                                 code="zip-not-one-json", file=name)
            member = jsons[0]
            declared = sum(m.file_size for m in members)
            if declared > MAX_JSON_BYTES:
                raise InputError(f"{name}: the zip expands to {declared / 2**20:,.0f} MB, too large to be an IMS "
                                 f"file (the limit is {MAX_JSON_BYTES >> 20:,} MB); nothing was read",
                                 code="file-too-large", file=name)
            packed = sum(m.compress_size for m in members)
            if declared > _DENSITY_CHECKED_FROM and declared > ZIP_RATIO_LIMIT * max(packed, 1):
                raise InputError(f"{name}: the zip expands {declared / max(packed, 1):,.0f} times (to "
                                 f"{declared / 2**20:,.0f} MB), far more than any IMS download; a zip bomb? "
                                 "nothing was read", code="file-too-large", file=name)
            return f"{name}:{member.filename}", _read_bounded(archive, member, name)
    except zipfile.BadZipFile:
        raise InputError(f"{name}: the zip file is damaged or incomplete", code="bad-zip", file=name) from None
    except RuntimeError as error:  # encrypted members
        raise InputError(f"{name}: cannot open the zip ({error})", code="bad-zip", file=name) from None


def _read_bounded(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> bytes:
    """The member's bytes, read in chunks: a member whose header lies about its size is stopped
    at the limit instead of filling memory."""
    chunks: list[bytes] = []
    total = 0
    with archive.open(member) as stream:
        while chunk := stream.read(_READ_CHUNK):
            total += len(chunk)
            if total > MAX_JSON_BYTES:
                raise InputError(f"{name}: {member.filename} expands to more than {MAX_JSON_BYTES >> 20:,} MB, too "
                                 "large to be an IMS file; nothing was read", code="file-too-large", file=name)
            chunks.append(chunk)
    return b"".join(chunks)


def decode_text(data: bytes) -> str:
    """Text saved as UTF-8 (with or without a byte-order mark) or as UTF-16 with its mark (Notepad's
    "Unicode", Excel's "Unicode Text"). Raises UnicodeDecodeError for anything else."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _text_of(name: str, data: bytes) -> str:
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a JSON text file (is it a picture, a PDF or an Excel file?)",
                         code="not-json-text", file=name) from None
    if not text.strip():
        raise InputError(f"{name}: the file is empty", code="empty-file", file=name)
    return text


def _parse(name: str, text: str) -> Any:
    try:
        document = jsonio.loads(text)
    except jsonio.DuplicateKeyError as error:
        raise InputError(f"{name}: the key '{error.key}' appears twice in one object; the file was edited or "
                         "damaged (reading it would silently drop one of them)",
                         code="duplicate-key", file=name, field=error.key) from None
    except ValueError as error:
        message = str(error)
        reason = "the file is cut short (incomplete download?)" if _is_truncation(text, error) else message
        raise InputError(f"{name}: not valid JSON: {reason}", code="invalid-json", file=name) from None
    except RecursionError:
        raise InputError(f"{name}: not an IMS file (nested too deeply)", code="json-too-deep", file=name) from None
    if _ESCAPED_SURROGATE.search(text):
        _refuse_lone_surrogates(name, document)
    return document


def _refuse_lone_surrogates(name: str, document: Any) -> None:
    """Name the first text holding half of a UTF-16 pair (no character; Excel and UTF-8 refuse it)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{where}.{key}" if where else str(key), item) for key, item in reversed(value.items()))
            stack.extend((f"{where} (a key)", key) for key in value if isinstance(key, str))
        elif isinstance(value, list):
            stack.extend((f"{where}[{index + 1}]", item) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(f"{name}: {where}: the text holds a broken character (an unpaired UTF-16 "
                                 "surrogate); the file was damaged",
                                 code="broken-character", file=name, field=where) from None


def _is_truncation(text: str, error: ValueError) -> bool:
    """Did the text simply stop (an interrupted download) rather than go wrong somewhere?"""
    position = getattr(error, "pos", None)
    if position is not None and position >= len(text.rstrip()) - 1:
        return True
    return "Unterminated string" in str(error) or _open_brackets_at_end(text)


def _open_brackets_at_end(text: str) -> bool:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth > 0 or in_string


def upload_bytes(document: Any) -> bytes:
    """The bytes of an upload file (what ``write_json_atomically`` writes for it)."""
    return jsonio.dumps(document).encode("utf-8")


def write_json_atomically(path: Path, document: Any, *, indent: int | None = None) -> bytes:
    """Write JSON so that a crash leaves either the old file or the new one, never half of one.

    Returns the bytes written (the caller may hash them for the change log).
    """
    payload = jsonio.dumps(document, indent=indent).encode("utf-8")
    write_bytes_atomically(path, payload)
    return payload


def write_bytes_atomically(path: Path, payload: bytes) -> None:
    with replacing(Path(path)) as temporary:
        temporary.write_bytes(payload)
