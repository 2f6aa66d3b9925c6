"""IMS records as the portal sends them, and the portal files that carry them.

A record is kept twice: ``raw``, the dict exactly as read (key order, key spellings, Decimal
and int values, unknown fields), which is what the upload echoes back; and a pydantic model of
its section, which checks the types and gives the rules one spelling of every field.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, AliasChoices, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from .problems import InputError
from .sections import BY_KEY, SECTIONS, Section

_DATE = re.compile(r"^(\d{2})-(\d{2})-(\d{4})$")


def _check_date(text: str) -> str:
    if not _DATE.match(text):
        raise ValueError(f"expected a date as dd-mm-yyyy, found {text!r}")
    try:  # slicing: 100,000 records are checked on every read
        date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date") from None
    return text


def _check_period(text: str) -> str:
    if not re.fullmatch(r"(0[1-9]|1[0-2])\d{4}", text):
        raise ValueError(f"expected a return period as MMYYYY, found {text!r}")
    return text


DocDate = Annotated[str, AfterValidator(_check_date)]
Period = Annotated[str, AfterValidator(_check_period)]
Action = Literal["A", "R", "P", "N"]


def _flag(value: Any) -> bool | None:
    """Portal flags arrive as "Y"/"N" strings or as JSON booleans."""
    if value == "N":  # most flags, on every read of every row
        return False
    if value == "Y":
        return True
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in ("Y", "N"):
        return value.strip().upper() == "Y"
    raise ValueError(f"expected Y or N, found {value!r}")


Flag = Annotated[Any, AfterValidator(_flag)]


# Slotted pydantic dataclasses: at 100,000 records a BaseModel's per-instance dicts cost ~250 MB.
# Unknown fields are not copied here: they stay in Record.raw, which is what gets written back.
_record_dataclass = pydantic_dataclass(
    config=ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True),
    slots=True, kw_only=True,
)


@_record_dataclass
class PortalRecord:
    """Fields every IMS section shares."""

    stin: str
    tradenm: str | None = None
    val: Decimal
    txval: Decimal
    iamt: Decimal = Decimal(0)
    camt: Decimal = Decimal(0)
    samt: Decimal = Decimal(0)
    cess: Decimal = Decimal(0)
    pos: str | None = None
    action: Action = "N"
    srcform: str | None = None
    rtnprd: Period | None = None
    srcfilstatus: str | None = None
    hash: str | None = None
    remarks: str | None = None
    pending_blocked: Flag = Field(None, validation_alias=AliasChoices("ispendactblocked", "pending_blocked"))
    remarks_blocked: Flag = Field(None, validation_alias=AliasChoices("isRemarksBlocked", "remarks_blocked"))
    itc_blocked: Flag = Field(
        None, validation_alias=AliasChoices("isItcRedReqBlocked", "itcRedReqBlocked", "itc_blocked")
    )
    itc_reduce: Flag = Field(None, validation_alias=AliasChoices("itcRedReq", "itc_red_req", "itc_reduce"))
    decl_igst: Decimal | None = Field(None, validation_alias=AliasChoices("declIgst", "decl_igst"))
    decl_cgst: Decimal | None = Field(None, validation_alias=AliasChoices("declCgst", "decl_cgst"))
    decl_sgst: Decimal | None = Field(None, validation_alias=AliasChoices("declSgst", "decl_sgst"))
    decl_cess: Decimal | None = Field(None, validation_alias=AliasChoices("declCess", "decl_cess"))
    error_msg: str | None = None
    error_cd: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _older_spellings(cls, data: Any) -> Any:
        # The older spec sent "pending allowed" (ispendactnallwd, Y = allowed): the inverse.
        if isinstance(data, dict) and "ispendactnallwd" in data and "ispendactblocked" not in data:
            allowed = _flag(data["ispendactnallwd"])
            data = {**data, "ispendactblocked": None if allowed is None else not allowed}
        action = data.get("action") if isinstance(data, dict) else None
        if isinstance(action, str) and action != action.strip().upper():
            data = {**data, "action": action.strip().upper()}
        return data


@_record_dataclass
class InvoiceRecord(PortalRecord):
    inum: str
    idt: DocDate
    inv_typ: str | None = None


@_record_dataclass
class AmendedInvoiceRecord(InvoiceRecord):
    oinum: str
    oidt: DocDate


@_record_dataclass
class NoteRecord(PortalRecord):
    nt_num: str
    nt_dt: DocDate
    inv_typ: str | None = None


@_record_dataclass
class AmendedNoteRecord(NoteRecord):
    ont_num: str
    ont_dt: DocDate


@_record_dataclass
class B2BInvoice(InvoiceRecord):
    section_key: ClassVar[str] = "b2b"


@_record_dataclass
class B2BAmendment(AmendedInvoiceRecord):
    section_key: ClassVar[str] = "b2ba"


@_record_dataclass
class DebitNote(NoteRecord):
    section_key: ClassVar[str] = "b2bdn"


@_record_dataclass
class DebitNoteAmendment(AmendedNoteRecord):
    section_key: ClassVar[str] = "b2bdna"


@_record_dataclass
class CreditNote(NoteRecord):
    section_key: ClassVar[str] = "b2bcn"


@_record_dataclass
class CreditNoteAmendment(AmendedNoteRecord):
    section_key: ClassVar[str] = "b2bcna"


@_record_dataclass
class EcoDocument(InvoiceRecord):
    section_key: ClassVar[str] = "ecom"


@_record_dataclass
class EcoAmendment(AmendedInvoiceRecord):
    section_key: ClassVar[str] = "ecoma"


MODELS: dict[str, type[PortalRecord]] = {
    model.section_key: model
    for model in (B2BInvoice, B2BAmendment, DebitNote, DebitNoteAmendment, CreditNote,
                  CreditNoteAmendment, EcoDocument, EcoAmendment)
}

# Portal spellings a record may use for the recipient's ITC-reduction inputs; D2 in the domain doc.
ITC_KEY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "itc_reduce": ("itcRedReq", "itc_red_req"),
    "decl_igst": ("declIgst", "decl_igst"),
    "decl_cgst": ("declCgst", "decl_cgst"),
    "decl_sgst": ("declSgst", "decl_sgst"),
    "decl_cess": ("declCess", "decl_cess"),
}


@dataclass(eq=False, slots=True)
class Record:
    """One IMS record: the section, the dict as read, and its checked model."""

    section: Section
    raw: dict[str, Any]
    model: PortalRecord

    @property
    def number(self) -> str:
        return str(self.raw[self.section.number_key])

    @property
    def date(self) -> str:
        return str(self.raw[self.section.date_key])

    @property
    def original_number(self) -> str | None:
        key = self.section.original_number_key
        return None if key is None else str(self.raw.get(key, ""))

    @property
    def original_date(self) -> str | None:
        key = self.section.original_date_key
        return None if key is None else str(self.raw.get(key, ""))

    @property
    def identity(self) -> tuple[str, ...]:
        """Section, supplier, number, date (and the original number for amendments)."""
        return identity_of(self.section, self.raw)

    def describe(self) -> str:
        return f"{self.section.key} {self.model.stin} {self.number}"


def identity_of(section: Section, raw: dict[str, Any]) -> tuple[str, ...]:
    parts = [
        section.key,
        key_text(raw, "stin"),
        key_text(raw, section.number_key),
        str(raw.get(section.date_key, "")).strip(),
    ]
    if section.original_number_key:
        parts.append(key_text(raw, section.original_number_key))
    return tuple(parts)


def key_text(raw: dict[str, Any], key: str) -> str:
    """A supplier GSTIN or document number as identities compare it: trimmed, in capitals."""
    return str(raw.get(key, "")).strip().upper()


def make_record(section: Section, raw: Any, where: str, *, file: str | None = None, sheet: str | None = None,
                row: int | None = None) -> Record:
    """Check one raw record; a bad one raises InputError naming file, section, record and field.

    ``where`` names the record in the message; ``file``, ``sheet`` and ``row`` are the error's place as data.
    """
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a record object, found {type(raw).__name__}",
                         code="invalid-record", file=file, sheet=sheet, row=row)
    raw = _shared_strings(raw, section.number_key)
    try:
        model = MODELS[section.key].__pydantic_validator__.validate_python(raw)  # type: ignore[attr-defined]
    except ValidationError as error:
        first = error.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"]) or "record"
        label = raw.get(section.number_key) or raw.get("stin") or ""
        shown = f" ({label})" if label else ""
        message = first["msg"]
        if first["type"] == "missing":
            message = "is missing"
        raise InputError(f"{where}{shown}, field {field_name}: {message}",
                         code="invalid-record", file=file, sheet=sheet, row=row, field=field_name) from None
    _refuse_implausible_amounts(model, raw, section, where, file=file, sheet=sheet, row=row)
    return Record(section, raw, model)


_AMOUNT_FIELDS = ("val", "txval", "iamt", "camt", "samt", "cess", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess")
_AMOUNT_LIMIT = Decimal(10) ** 13  # 13 digits before the point and 2 after: what an Excel cell holds exactly


def make_records(section: Section, raws: list[dict[str, Any]]) -> list[Record] | None:
    """Many records of one section checked in one call (the workbook's hidden records, on every read);
    None when any is not valid: ``make_record`` on each then names the one at fault."""
    try:
        models = _LIST_VALIDATORS[section.key].validate_python(
            [_shared_strings(raw, section.number_key) for raw in raws])
    except ValidationError:
        return None
    for raw, model in zip(raws, models, strict=True):
        for name in _AMOUNT_FIELDS:
            value = getattr(model, name)
            if value is not None and abs(value) >= _AMOUNT_LIMIT:
                return None
        for name in _TAX_HEADS:  # a whole 0 became a Decimal of its own: one shared zero instead
            if raw.get(name) == 0 and type(raw.get(name)) is int:
                setattr(model, name, _ZERO)
    return [Record(section, raw, model) for raw, model in zip(raws, models, strict=True)]


_TAX_HEADS = ("iamt", "camt", "samt", "cess")
_ZERO = Decimal(0)  # Decimals are immutable: one object serves every record


def _refuse_implausible_amounts(model: PortalRecord, raw: dict[str, Any], section: Section, where: str, *,
                                file: str | None, sheet: str | None, row: int | None) -> None:
    for name in _AMOUNT_FIELDS:
        value = getattr(model, name)
        if value is not None and abs(value) >= _AMOUNT_LIMIT:
            label = raw.get(section.number_key) or raw.get("stin") or ""
            shown = f" ({label})" if label else ""
            raise InputError(f"{where}{shown}, field {name}: {value} is not an amount an invoice can carry "
                             "(more than 13 digits before the decimal point)",
                             code="implausible-amount", file=file, sheet=sheet, row=row, field=name)


# Values many records repeat (one-character flags and actions are shared by Python already).
_REPEATED = ("stin", "tradenm", "idt", "nt_dt", "oidt", "ont_dt", "pos", "rtnprd", "srcform", "srcfilstatus")


def _shared_strings(raw: dict[str, Any], unique_key: str) -> dict[str, Any]:
    """The dict with one shared copy of each value many records repeat (GSTINs, names, dates, flags).

    Every parse makes its own copies; at 100,000 records sharing them saves about 100 MB. Keys need
    no help: one JSON parse already shares them across the objects it makes.
    """
    for key in _REPEATED_BUT[unique_key]:
        value = raw.get(key)
        if type(value) is str and len(value) < 64:
            raw[key] = sys.intern(value)
    return raw


_REPEATED_BUT = {section.number_key: tuple(key for key in _REPEATED if key != section.number_key)
                 for section in SECTIONS}


_LIST_VALIDATORS = {key: TypeAdapter(list[model]) for key, model in MODELS.items()}  # type: ignore[valid-type]

Envelope = Literal["download", "error", "upload", "bare"]


@dataclass
class PortalFile:
    """What a portal JSON file holds once its envelope is taken off."""

    envelope: Envelope
    records: list[Record] = field(default_factory=list)
    gstin: str | None = None
    period: str | None = None
    top_level: dict[str, Any] = field(default_factory=dict)  # keys outside the envelope, kept
    error_report: dict[str, Any] | None = None  # a GSP request-status error report, if that is what it is
    warnings: list[str] = field(default_factory=list)  # one line each, for the user: read, but not all of it

    def by_section(self) -> dict[str, list[Record]]:
        grouped: dict[str, list[Record]] = {section.key: [] for section in SECTIONS}
        for record in self.records:
            grouped[record.section.key].append(record)
        return grouped


_ENVELOPES: tuple[tuple[str, Envelope], ...] = (
    ("imsDetails", "download"),
    ("imsDetailsErr", "error"),
    ("invdata", "upload"),
)
# Keys the portal files may carry that are not record sections (and not to be read as such).
_SECTION_LIKE_KEYS = {*BY_KEY, "impg", "impga", "impgsez", "impgseza", "isd", "isda", "isdcn", "isdcna"}


def read_portal_object(document: Any, name: str) -> PortalFile:
    """Interpret a decoded portal JSON document (every envelope of D1 in the domain doc).

    ``name`` is the file name used in messages.
    """
    if not isinstance(document, dict):
        raise InputError(f"{name}: not an IMS file (expected a JSON object, found {_json_type(document)})",
                         code="not-an-ims-file", file=name)
    top = document
    if "data" in top and isinstance(top["data"], dict) and not _has_sections(top):
        top = {**{k: v for k, v in top.items() if k != "data"}, **top["data"]}

    if isinstance(top.get("error_report"), dict):
        return PortalFile("error", [], _gstin(top), _period(top), _outside(top, "error_report"),
                          error_report=top["error_report"])

    envelope: Envelope = "bare"
    body: Any = top
    for key, kind in _ENVELOPES:
        if key in top:
            envelope, body = kind, top[key]
            if not isinstance(body, dict):
                raise InputError(f"{name}: '{key}' should hold the sections, found {_json_type(body)}",
                                 code="unexpected-json-shape", file=name, field=key)
            break
    if envelope == "bare" and not _has_sections(top):
        raise InputError(
            f"{name}: not an IMS file (no imsDetails, imsDetailsErr, invdata or section keys such as b2b)",
            code="not-an-ims-file", file=name)

    outside = _outside(top, *(key for key, _ in _ENVELOPES)) if envelope != "bare" else {
        k: v for k, v in top.items() if k.lower() not in _SECTION_LIKE_KEYS
    }
    records: list[Record] = []
    warnings: list[str] = []
    for key, value in body.items():
        section = BY_KEY.get(key.lower())
        if section is None:
            # Imports of goods and ISD are not actionable in IMS; a key nobody knows may be a misspelt section.
            count = _record_count(value)
            if count and key.lower() not in _SECTION_LIKE_KEYS:
                warnings.append(f"{name}: section '{key}' is not an IMS section the tool knows; its {count:,} "
                                f"{'record is' if count == 1 else 'records are'} not in the workbook")
            continue
        if value is None:
            continue
        if not isinstance(value, list):
            raise InputError(f"{name}: section {key} should be a list of records, found {_json_type(value)}",
                             code="unexpected-json-shape", file=name, field=key)
        for position, raw in enumerate(value, start=1):
            records.append(make_record(section, raw, f"{name}: section {key}, record {position}", file=name))
    gstin = _gstin(top) or (_gstin(body) if isinstance(body, dict) else None)
    return PortalFile(envelope, records, gstin, _period(top), outside, warnings=warnings)


def _record_count(value: Any) -> int:
    """How many record-like objects a value holds (a list of objects), else 0."""
    return sum(1 for item in value if isinstance(item, dict)) if isinstance(value, list) else 0


def _has_sections(obj: dict[str, Any]) -> bool:
    return any(str(key).lower() in BY_KEY for key in obj)


def _outside(top: dict[str, Any], *envelope_keys: str) -> dict[str, Any]:
    return {k: v for k, v in top.items() if k not in envelope_keys}


def _gstin(obj: dict[str, Any]) -> str | None:
    for key in ("rtin", "gstin", "ctin_recipient"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().upper()
    return None


def _period(obj: dict[str, Any]) -> str | None:
    for key in ("rtnprd", "ret_period", "fp"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return "a number"


json_type_name = _json_type  # "an object", "text", "null": for messages elsewhere in the core
