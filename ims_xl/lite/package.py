"""The xlwings Lite add-in's part of a workbook: where Lite keeps ``main.py`` and ``requirements.txt``.

Microsoft does not document what Lite stores, so this copies what public Lite workbooks hold,
compared on 2026-11-29, all five alike: in github.com/amararun/xlwings-lite-apps-codes-docs,
yahoo-finance/YLENS_YAHOO_FINANCE_ANALYZER_Z.xlsx, technical-analysis/TECHNICAL_ANALYSIS_PDF_HTML_V2_1025.xlsx
(which also has two buttons: shapes named btn_tech and btn_ai, hyperlinks to #MASTER!H4 and #MASTER!H8),
web-scraper/INTELISCAPE_X_DYNAMIC_WEB_SCRAPER_v2_1125.xlsx,
llm-api-schema/LLM_API_CALL_SCHEMA_DETECT_EDA_MACHINE_LEARNING.xlsx and
database-ml/DATABASE_PULL_EDSACHARTS_TABLES_ML_MODEL_V3.xlsx:

* ``xl/webextensions/webextension1.xml``: an Office web extension referring to the store add-in
  ``wa200008175`` (xlwings Lite) whose ``we:properties`` hold ``main.py`` and ``requirements.txt``
  (also ``pyodideVersion`` and ``addinVersion``, which Lite writes itself and we leave out);
* each property's value is the text as a JSON string (UTF-8 kept, "/" written as "\\/"), then
  XML-escaped into the attribute;
* ``xl/webextensions/taskpanes.xml`` docks the task pane; it and the part are tied together by
  ``xl/webextensions/_rels/taskpanes.xml.rels`` and to the package by a relationship of type
  ``.../2011/relationships/webextensiontaskpanes`` in ``_rels/.rels``, plus two content types.

``Office.AutoShowTaskpaneWithDocument`` (Office's own setting) opens the task pane with the
workbook, so the buttons work as soon as the user has trusted the add-in. This module is the only
one that knows the format: if Lite changes it, change this file.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from xml.etree import ElementTree
from xml.sax.saxutils import escape

ADDIN_ID = "wa200008175"  # xlwings Lite in Microsoft's add-in store
EXTENSION_GUID = "{7E4A2B1C-1D2E-4F5A-9B3C-1A2B3C4D5E6F}"  # any fixed GUID: one per workbook's part
PART = "xl/webextensions/webextension1.xml"
TASKPANES = "xl/webextensions/taskpanes.xml"
TASKPANES_RELS = "xl/webextensions/_rels/taskpanes.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
_WE = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
_TASKPANES_REL = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
_EXTENSION_REL = "http://schemas.microsoft.com/office/2011/relationships/webextension"
_OVERRIDES = (
    f'<Override PartName="/{TASKPANES}" ContentType="application/vnd.ms-office.webextensiontaskpanes+xml"/>'
    f'<Override PartName="/{PART}" ContentType="application/vnd.ms-office.webextension+xml"/>'
)
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def encode_property(text: str) -> str:
    """A property's value as Lite stores it (before XML escaping): a JSON string, "/" as "\\/"."""
    return json.dumps(text, ensure_ascii=False).replace("/", "\\/")


def extension_part(properties: Mapping[str, str]) -> str:
    props = "".join(
        f'<we:property name={_attr(name)} value={_attr(encode_property(text))}/>' for name, text in properties.items())
    return (
        f'{_XML_HEAD}<we:webextension xmlns:we="{_WE}" id="{EXTENSION_GUID}">'
        f'<we:reference id="{ADDIN_ID}" version="1.0.0.0" store="en-US" storeType="OMEX"/>'
        f'<we:alternateReferences><we:reference id="{ADDIN_ID.upper()}" version="1.0.0.0" '
        f'store="{ADDIN_ID.upper()}" storeType="OMEX"/></we:alternateReferences>'
        f'<we:properties>{props}<we:property name="Office.AutoShowTaskpaneWithDocument" value="true"/>'
        "</we:properties><we:bindings/>"
        '<we:snapshot xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
        "</we:webextension>"
    )


def _attr(text: str) -> str:
    return '"' + escape(text, {'"': "&quot;"}) + '"'


_TASKPANES_XML = (
    f'{_XML_HEAD}<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11">'
    '<wetp:taskpane dockstate="right" visibility="1" width="438" row="3">'
    '<wetp:webextensionref xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/>'
    "</wetp:taskpane></wetp:taskpanes>"
)
_TASKPANES_RELS_XML = (
    f'{_XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_EXTENSION_REL}" Target="webextension1.xml"/></Relationships>'
)


def add_lite_code(workbook: bytes, properties: Mapping[str, str]) -> bytes:
    """``workbook`` (an .xlsx) with the Lite part holding ``properties`` (main.py, requirements.txt)."""
    def edit(name: str, data: bytes) -> bytes:
        if name == CONTENT_TYPES:
            return data.replace(b"</Types>", _OVERRIDES.encode() + b"</Types>")
        if name == ROOT_RELS:
            text = data.decode()
            taken = {int(n) for n in re.findall(r'Id="rId(\d+)"', text)}
            rel = f'<Relationship Id="rId{max(taken, default=0) + 1}" Type="{_TASKPANES_REL}" Target="{TASKPANES}"/>'
            return text.replace("</Relationships>", rel + "</Relationships>").encode()
        return data

    added = {TASKPANES: _TASKPANES_XML, TASKPANES_RELS: _TASKPANES_RELS_XML, PART: extension_part(properties)}
    return rewrite(workbook, edit, {name: text.encode() for name, text in added.items()})


def read_lite_code(workbook: bytes) -> dict[str, str]:
    """The properties of a workbook's Lite part, decoded (for tests and support)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        root = ElementTree.fromstring(archive.read(PART))
    return {prop.get("name", ""): json.loads(prop.get("value", "")) for prop in root.iter(f"{{{_WE}}}property")
            if prop.get("name") != "Office.AutoShowTaskpaneWithDocument"}


def rewrite(workbook: bytes, edit: Callable[[str, bytes], bytes], added: Mapping[str, bytes] | None = None) -> bytes:
    """A copy of the zip with each member passed through ``edit`` and ``added`` appended; fixed
    timestamps, so the same input gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        members = [(info.filename, edit(info.filename, source.read(info))) for info in source.infolist()]
        for name, data in [*members, *(added or {}).items()]:
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, data)
    return out.getvalue()
