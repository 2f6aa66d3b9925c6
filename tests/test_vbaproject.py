"""Tests for ims_xl.excel.vbaproject: MS-OVBA compression and patching xlwings' VBA project.

oletools and olefile serve as independent readers of what we write.
"""

from __future__ import annotations

import functools
import io
import random
import struct

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, VBA_Project, decompress_stream

from ims_xl.excel import compound_file, vbaproject
from ims_xl.excel.vbaproject import (
    compress,
    decompress,
    module_names,
    module_source,
    replace_module_source,
    xlwings_vba_project,
)

BUTTONS = (
    "Option Explicit\n"
    "Public Sub IMS_OpenJson()\n"
    '    RunPython "import ims_xl.macros as m; m.open_json()"\n'
    "End Sub\n"
    "Public Sub IMS_ValidateSheet()\n"
    '    RunPython "import ims_xl.macros as m; m.validate_sheet()"\n'
    "End Sub\n"
)
SOURCE_ONLY_VBA_PROJECT = bytes.fromhex("CC61FFFF000000")
NOSTREAM = 0xFFFFFFFF
BLACK = 1


@pytest.fixture(scope="module")
def original() -> bytes:
    return xlwings_vba_project()


@pytest.fixture(scope="module")
def patched(original: bytes) -> bytes:
    return replace_module_source(original, "Module1", BUTTONS)


def streams_of(project: bytes) -> dict[str, bytes]:
    with olefile.OleFileIO(io.BytesIO(project)) as ole:
        return {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}


def olevba_modules(project: bytes) -> dict[str, str]:
    """Module name -> source as oletools extracts it, CRLF read as "\\n"."""
    parser = VBA_Parser(filename="vbaProject.bin", data=project)
    try:
        return {
            stream_path.removeprefix("VBA/"): code.replace("\r\n", "\n")
            for _, stream_path, _, code in parser.extract_macros()
        }
    finally:
        parser.close()


def olevba_text_offsets(project: bytes) -> dict[str, int]:
    """Module name -> MODULEOFFSET as oletools' own dir stream parser reads it."""
    with olefile.OleFileIO(io.BytesIO(project)) as ole:
        parsed = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
        parsed.parse_project_stream()
        list(parsed.parse_modules())
        return {module.name: module.textoffset for module in parsed.modules}


@functools.cache
def xlwings_containers() -> dict[str, bytes]:
    """Every compressed container in xlwings' project: dir, and each module from its offset."""
    project = xlwings_vba_project()
    streams = streams_of(project)
    containers = {"dir": streams["VBA/dir"]}
    for name, offset in olevba_text_offsets(project).items():
        containers[name] = streams[f"VBA/{name}"][offset:]
    return containers


# --- compression -------------------------------------------------------------------------

small_bytes = st.binary(max_size=600)
repetitive_bytes = st.builds(
    lambda unit, size: (unit * (size // len(unit) + 1))[:size],
    st.binary(min_size=1, max_size=50),
    st.integers(min_value=4097, max_value=13000),
)
# Seeded random bytes do not compress: they exercise raw chunks and split final chunks.
incompressible_bytes = st.builds(
    lambda seed, size: random.Random(seed).randbytes(size),
    st.integers(min_value=0, max_value=2**32),
    st.integers(min_value=0, max_value=13000),
)
text_like_bytes = st.text(alphabet="Dim x As Long\r\n()=\"'_.,1234", max_size=9000).map(str.encode)
any_bytes = st.one_of(small_bytes, repetitive_bytes, incompressible_bytes, text_like_bytes)


def chunk_headers(container: bytes) -> list[tuple[int, bool]]:
    """(chunk size including header, compressed flag) for each chunk."""
    headers, pos = [], 1
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        headers.append(((header & 0x0FFF) + 3, bool(header & 0x8000)))
        pos += (header & 0x0FFF) + 3
    return headers


@settings(max_examples=80, deadline=None)
@given(any_bytes)
def test_compress_round_trips(data: bytes) -> None:
    assert decompress(compress(data)) == data


@settings(max_examples=80, deadline=None)
@given(any_bytes)
def test_oletools_decompresses_our_output(data: bytes) -> None:
    assert bytes(decompress_stream(bytearray(compress(data)))) == data


@settings(max_examples=40, deadline=None)
@given(st.one_of(repetitive_bytes, incompressible_bytes))
def test_chunks_keep_to_the_spec_sizes(data: bytes) -> None:
    container = compress(data)
    assert container[0] == 0x01
    for size, compressed in chunk_headers(container):
        assert size <= 4098
        assert compressed or size == 4098, "a raw chunk always holds 4096 bytes"


@pytest.mark.parametrize("size", [0, 1, 3640, 3641, 4095, 4096, 4097, 8192 + 3700])
def test_incompressible_sizes_at_chunk_edges_round_trip(size: int) -> None:
    data = random.Random(size).randbytes(size)
    container = compress(data)
    assert decompress(container) == data
    assert bytes(decompress_stream(bytearray(container))) == data


def test_repetitive_input_shrinks() -> None:
    data = b"Attribute VB_Name = " * 1000
    assert len(compress(data)) < len(data) // 10


@pytest.mark.parametrize("name", list(xlwings_containers()))
def test_xlwings_containers_round_trip(name: str) -> None:
    plain = decompress(xlwings_containers()[name])
    assert decompress(compress(plain)) == plain
    assert bytes(decompress_stream(bytearray(xlwings_containers()[name]))) == plain


@pytest.mark.parametrize("name", ["dir", "xlwings"])
def test_compress_reproduces_containers_xlwings_ships(name: str) -> None:
    # xlwings writes these two with Aspose.Cells; matching them byte for byte shows our
    # tokens are the ones a known-good writer chooses, not merely ones that decode.
    container = xlwings_containers()[name]
    assert compress(decompress(container)) == container


@pytest.mark.parametrize(
    "bad",
    [b"", b"\x02", b"\x01\xb0", b"\x01\x00\x00abc", b"\x01\x02\xb0\x01\x00\x00", b"\x01\x05\x30abc"],
    ids=["empty", "bad-signature", "cut-header", "bad-chunk-signature", "copy-before-start", "short-raw"],
)
def test_decompress_rejects_malformed_containers(bad: bytes) -> None:
    with pytest.raises(ValueError):
        decompress(bad)


# --- reading the project -----------------------------------------------------------------


def test_xlwings_project_is_a_compound_file(original: bytes) -> None:
    assert original.startswith(bytes.fromhex("D0CF11E0A1B11AE1"))


def test_missing_xlwings_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vbaproject.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match="xlwings"):
        xlwings_vba_project()


def test_module_names(original: bytes) -> None:
    assert module_names(original) == ["ThisWorkbook", "Sheet1", "Module1", "Sheet2", "xlwings", "Dictionary"]


def test_xlwings_module_provides_run_python(original: bytes) -> None:
    source = module_source(original, "xlwings")
    assert source.startswith('Attribute VB_Name = "xlwings"\n')
    assert "Function RunPython" in source


def test_module_source_matches_oletools(original: bytes) -> None:
    for name, code in olevba_modules(original).items():
        assert module_source(original, name) == code


# --- the patched project -----------------------------------------------------------------


def test_patched_module_holds_new_source(patched: bytes) -> None:
    expected = 'Attribute VB_Name = "Module1"\n' + BUTTONS
    assert olevba_modules(patched)["Module1"] == expected
    assert module_source(patched, "Module1") == expected


def test_patched_source_is_crlf_and_source_only(patched: bytes) -> None:
    stored = decompress(streams_of(patched)["VBA/Module1"])
    assert stored.count(b"\r\n") == stored.count(b"\n") == BUTTONS.count("\n") + 1
    assert olevba_text_offsets(patched)["Module1"] == 0


def test_other_modules_unchanged(original: bytes, patched: bytes) -> None:
    before, after = olevba_modules(original), olevba_modules(patched)
    assert after.keys() == before.keys()
    for name in before.keys() - {"Module1"}:
        assert after[name] == before[name], name


def test_other_streams_kept_byte_for_byte(original: bytes, patched: bytes) -> None:
    before, after = streams_of(original), streams_of(patched)
    changed = {"VBA/Module1", "VBA/dir", "VBA/_VBA_PROJECT"}
    assert after.keys() == {path for path in before if not path.split("/")[-1].startswith("__SRP_")}
    for path in after.keys() - changed:
        assert after[path] == before[path], path


def test_dir_changes_only_in_module1_offset(original: bytes, patched: bytes) -> None:
    before = olevba_text_offsets(original)
    after = olevba_text_offsets(patched)
    assert after == {**before, "Module1": 0}
    assert len(decompress(streams_of(patched)["VBA/dir"])) == len(decompress(streams_of(original)["VBA/dir"]))


def test_patched_project_has_no_performance_cache(patched: bytes) -> None:
    streams = streams_of(patched)
    assert streams["VBA/_VBA_PROJECT"] == SOURCE_ONLY_VBA_PROJECT
    assert not [path for path in streams if "__SRP_" in path]


def test_patched_directory_is_sorted_black_right_chains(patched: bytes) -> None:
    with olefile.OleFileIO(io.BytesIO(patched)) as ole:
        entries = [entry for entry in ole.direntries if entry is not None]
        assert all(entry.color == BLACK and entry.sid_left == NOSTREAM for entry in entries)
        for storage in (entry for entry in entries if entry.kids):
            chain, sid = [], storage.sid_child
            while sid != NOSTREAM:
                chain.append(ole.direntries[sid].name)
                sid = ole.direntries[sid].sid_right
            assert chain == sorted(chain, key=lambda name: (len(name), name.upper()))
            assert len(chain) == len(storage.kids)


def test_patching_is_deterministic_and_idempotent(original: bytes, patched: bytes) -> None:
    assert replace_module_source(original, "Module1", BUTTONS) == patched
    assert replace_module_source(patched, "Module1", BUTTONS) == patched


def test_patched_bin_is_an_ole_file(patched: bytes) -> None:
    assert olefile.isOleFile(data=patched)
    assert len(patched) % 512 == 0


def test_existing_vb_name_line_is_not_repeated(original: bytes) -> None:
    source = 'Attribute VB_Name = "Module1"\r\n' + BUTTONS
    project = replace_module_source(original, "Module1", source)
    assert module_source(project, "Module1") == source.replace("\r\n", "\n")


def test_vb_name_naming_another_module_is_rejected(original: bytes) -> None:
    with pytest.raises(ValueError, match="Module1"):
        replace_module_source(original, "Module1", 'Attribute VB_Name = "Other"\n' + BUTTONS)


def test_unknown_module_is_rejected(original: bytes) -> None:
    with pytest.raises(ValueError, match="NoSuchModule"):
        replace_module_source(original, "NoSuchModule", BUTTONS)


def test_document_module_is_rejected(original: bytes) -> None:
    with pytest.raises(ValueError, match="Sheet1"):
        replace_module_source(original, "Sheet1", BUTTONS)


def test_source_outside_code_page_is_rejected(original: bytes) -> None:
    with pytest.raises(ValueError, match="Module1"):
        replace_module_source(original, "Module1", 'MsgBox "\u20b9 100"\n')  # rupee sign: not cp1252


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(codec="cp1252", exclude_characters="\r"), max_size=3000))
def test_any_cp1252_source_reads_back(original: bytes, source: str) -> None:
    source = "' " + source  # a comment first, so the text never starts with its own VB_Name line
    project = replace_module_source(original, "Module1", source)
    assert module_source(project, "Module1") == 'Attribute VB_Name = "Module1"\n' + source


# --- the compound file writer on its own -------------------------------------------------


def test_writer_handles_sector_and_cutoff_edges() -> None:
    # Sizes around the 64-byte mini sector, the 4096-byte cutoff, and enough data to need
    # a second FAT sector (more than 128 sectors).
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 70_000]
    streams = {f"S{size}": random.Random(size).randbytes(size) for size in sizes}
    inner = compound_file.Entry("Inner", 1, children=[compound_file.Entry("x", 2, data=b"nested")])
    children = [compound_file.Entry(name, 2, data=data) for name, data in streams.items()]
    root = compound_file.Entry("Root Entry", 5, children=[*children, inner], clsid=bytes(range(16)))
    inner.modified = 0x01D9_0000_1234_5678

    written = compound_file.write_compound_file(root)

    assert streams_of(written) == {**streams, "Inner/x": b"nested"}
    with olefile.OleFileIO(io.BytesIO(written)) as ole:
        assert ole.root.clsid == "03020100-0504-0706-0809-0A0B0C0D0E0F"
        assert ole.direntries[ole._find("Inner")].modifyTime == inner.modified
    assert compound_file.write_compound_file(compound_file.read_compound_file(written)) == written
