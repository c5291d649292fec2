"""Contact list imports from CSV or XLSX, validated row by row, written in bulk.

Columns: `phone, name, language, adm1_pcode, adm2_pcode, groups` (groups separated by `;`),
header names case-insensitive, in any order; only `phone` is required. Row numbers in rejections
are the spreadsheet's (the header is row 1). An existing contact (same number in any form) is
updated with the cells that are filled; empty cells keep what we know. A contact who sent STOP
stays stopped: an import never restarts anyone.

10,000 rows import in a few seconds: numbers are looked up by keyed hash in chunks and rows are
inserted and updated with SQLAlchemy's bulk executemany, not one ORM object at a time.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
from xml.etree import ElementTree
from zipfile import BadZipFile
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from sqlalchemy import delete, insert, select, update

from gateway import crypto
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import AdminArea, Contact, ContactGroup, utcnow
from gateway.phone import InvalidNumber, normalize
from gateway.services import audit
from gateway.services.errors import Invalid
from gateway.services.places import InvalidPcode, canonical_pcode

COLUMNS = ("phone", "name", "language", "adm1_pcode", "adm2_pcode", "groups")
ALIASES = {"adm1": "adm1_pcode", "adm2": "adm2_pcode", "phone_number": "phone", "group": "groups"}
MAX_ROWS = 50_000
MAX_NAME = 120
CHUNK = 500
_GROUP = re.compile(r"^[\w][\w .\-]{0,39}$")


class ImportFileError(Invalid):
    """The file as a whole cannot be read (format, encoding, missing `phone` column)."""

    code = "invalid_file"


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    rejected: list[dict] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rows(self) -> int:
        """Data rows read (blank rows are not counted)."""
        return self.created + self.updated + len(self.rejected)

    def as_dict(self) -> dict:
        """The API's answer."""
        return {"created": self.created, "updated": self.updated, "rejected": self.rejected,
                "dry_run": self.dry_run, "rows": self.rows}


@dataclass
class _Row:
    number: int
    e164: str
    name: str | None
    language: str | None
    adm1: str | None
    adm2: str | None
    groups: list[str] | None


# ---------------------------------------------------------------- reading files

def read_table(filename: str, data: bytes) -> Iterator[tuple[int, dict]]:
    """Yield (spreadsheet row number, {column: text}) from a CSV or XLSX upload."""
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name:
        rows = _csv_rows(data)
    else:
        raise ImportFileError("upload a .csv or .xlsx file")
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    columns = [_column(h) for h in header]
    if "phone" not in columns:
        raise ImportFileError(f"the first row must name the columns; a 'phone' column is required "
                              f"(expected: {', '.join(COLUMNS)})")
    for index, values in enumerate(rows, start=2):
        if index - 1 > MAX_ROWS:
            raise ImportFileError(f"at most {MAX_ROWS} rows per file")
        cells = {c: _text(v) for c, v in zip(columns, values) if c in COLUMNS}
        if any(cells.values()):
            yield index, cells


def _column(header) -> str:
    key = re.sub(r"\s+", "_", str(header or "").strip().lower())
    return ALIASES.get(key, key)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)      # a number typed into a spreadsheet cell arrives as 22790123456.0
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")   # Excel's "CSV" on French Windows
    first = text.split("\n", 1)[0]
    delimiter = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
    try:
        # csv refuses a field over 128 KB (`field_size_limit`), and a NUL in a row: the file is bad.
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise ImportFileError(f"not a readable CSV file ({exc})") from None


def _xlsx_rows(data: bytes) -> Iterator[list]:
    # Imported here, not at the top: openpyxl takes a noticeable share of start-up and only an
    # XLSX upload needs it.
    import openpyxl
    with warnings.catch_warnings():
        # openpyxl warns about styles and data validation it does not read; irrelevant here.
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ImportFileError(f"not a readable XLSX file ({exc.__class__.__name__})") from None
        try:
            # Streamed (read-only mode parses the sheet as it goes) and cut one row past the limit,
            # so a sheet of a million rows is refused after reading 50,001 of them, not all. Read
            # inside the warnings filter: a suspended generator would leak it.
            rows = list(itertools.islice(workbook.worksheets[0].iter_rows(values_only=True), MAX_ROWS + 2))
        except (ValueError, KeyError, OSError, ElementTree.ParseError) as exc:
            raise ImportFileError(f"not a readable XLSX file ({exc.__class__.__name__})") from None
        finally:
            workbook.close()
    yield from rows


# ---------------------------------------------------------------- validating rows

class RowError(ValueError):
    """Why one row is rejected: `reason` in words (the API's), `code` and `details` for screens
    that word it in their own language."""

    def __init__(self, reason: str, code: str, **details):
        super().__init__(reason)
        self.code, self.details = code, details

    def as_dict(self, row: int) -> dict:
        """The rejection as the API answers it."""
        return {"row": row, "reason": str(self), "code": self.code, **self.details}


class _Areas:
    """Every admin area in memory (75 rows), so 10k rows need no P-code queries."""

    def __init__(self):
        self.areas = {a.pcode: (a.level, a.parent_pcode) for a in db.session.scalars(select(AdminArea))}

    def check(self, adm1: str, adm2: str) -> tuple[str | None, str | None]:
        region = self._one(adm1, 1, "adm1_pcode") if adm1 else None
        department = self._one(adm2, 2, "adm2_pcode") if adm2 else None
        if department:
            parent = self.areas[department][1]
            if region and parent != region:
                raise RowError(f"adm2_pcode {adm2} is not in region {adm1}", "department_outside_region",
                               column="adm2_pcode", value=adm2, region=adm1)
            region = region or parent
        return region, department

    def _one(self, code: str, level: int, column: str) -> str:
        try:
            pcode = canonical_pcode(code)
        except InvalidPcode:
            raise RowError(f"{column} {code!r} is not a Niger P-code", "pcode_invalid",
                           column=column, value=code) from None
        if pcode not in self.areas:
            raise RowError(f"{column} {code!r} is unknown", "pcode_unknown", column=column, value=code)
        if self.areas[pcode][0] != level:
            kind = "region" if level == 1 else "department"
            raise RowError(f"{column} {code!r} is not a {kind}", f"pcode_not_{kind}", column=column, value=code)
        return pcode


def _validate(number: int, cells: dict, areas: _Areas, seen: dict[str, int]) -> _Row:
    try:
        e164 = normalize(cells.get("phone", ""))
    except InvalidNumber as exc:
        # The number itself stays out of the answer: it is personal data.
        raise RowError(f"phone: {exc}", f"phone_{exc.code}", column="phone") from None
    if e164 in seen:
        raise RowError(f"same phone number as row {seen[e164]}", "duplicate", column="phone", first_row=seen[e164])
    name = cells.get("name") or None
    if name and len(name) > MAX_NAME:
        raise RowError(f"name longer than {MAX_NAME} characters", "name_too_long", column="name", limit=MAX_NAME)
    language = (cells.get("language") or "").lower() or None
    if language and language not in LANGUAGES:
        raise RowError(f"language {cells['language']!r} is not one of {', '.join(LANGUAGES)}", "unknown_language",
                       column="language", value=cells["language"])
    adm1, adm2 = areas.check(cells.get("adm1_pcode", ""), cells.get("adm2_pcode", ""))
    groups = None
    if cells.get("groups"):
        groups = sorted({g.strip().lower() for g in cells["groups"].split(";") if g.strip()})
        bad = [g for g in groups if not _GROUP.match(g)]
        if bad:
            raise RowError(f"group {bad[0]!r}: letters, digits, spaces and - only, at most 40 characters",
                           "bad_group", column="groups", value=bad[0])
    seen[e164] = number
    return _Row(number, e164, name, language, adm1, adm2, groups)


# ---------------------------------------------------------------- importing

def import_contacts(rows: Iterable[tuple[int, dict]], *, dry_run: bool = False,
                    actor: str = "system", source: str = "") -> ImportResult:
    """Validate every row, then create or update contacts in bulk (nothing written on a dry run)."""
    result = ImportResult(dry_run=dry_run)
    areas, seen, valid = _Areas(), {}, []
    for number, cells in rows:
        try:
            valid.append(_validate(number, cells, areas, seen))
        except RowError as exc:
            result.rejected.append(exc.as_dict(number))
    hashes = {row.e164: crypto.lookup_hash(row.e164) for row in valid}
    existing = _all_ids()
    new = [r for r in valid if hashes[r.e164] not in existing]
    old = [r for r in valid if hashes[r.e164] in existing]
    result.created, result.updated = len(new), len(old)
    if dry_run:
        return result
    _insert(new, hashes)
    _update(old, {r.e164: existing[hashes[r.e164]] for r in old})
    ids = _all_ids() if new else existing
    _set_groups({ids[hashes[r.e164]]: r.groups for r in valid if r.groups})
    audit.record(actor, "contacts.import", "contact", None, created=result.created,
                 updated=result.updated, rejected=len(result.rejected), source=source[:100])
    db.session.commit()
    return result


def _all_ids() -> dict[str, int]:
    """{phone hash: contact id} for every contact, in one query.

    One pass over the (narrow) table beats thousands of lookups or long IN lists: on
    PostgreSQL each round trip costs more than reading a few hundred thousand short rows.
    """
    return dict(db.session.execute(select(Contact.phone_hash, Contact.id)).all())


def _insert(rows: list[_Row], hashes: dict[str, str]) -> None:
    if not rows:
        return
    now = utcnow()
    values = [{
        "phone_hash": hashes[r.e164], "phone_encrypted": crypto.encrypt(r.e164),
        "reporter_code": crypto.pseudonym(r.e164),
        "name_encrypted": crypto.encrypt(r.name) if r.name else None,
        "language": r.language, "adm1_pcode": r.adm1, "adm2_pcode": r.adm2, "channel": None,
        "created_at": now, "updated_at": now,
    } for r in rows]
    for start in range(0, len(values), CHUNK):
        db.session.execute(insert(Contact), values[start:start + CHUNK])


def _update(rows: list[_Row], ids: dict[str, int]) -> None:
    now = utcnow()
    # Group rows by which cells they fill: executemany needs the same keys in every parameter set.
    batches: dict[tuple, list[dict]] = {}
    for r in rows:
        values = {"id": ids[r.e164], "updated_at": now}
        if r.name:
            values["name_encrypted"] = crypto.encrypt(r.name)
        if r.language:
            values["language"] = r.language
        if r.adm1:
            values["adm1_pcode"] = r.adm1
            values["adm2_pcode"] = r.adm2      # a new region without department clears the old one
        batches.setdefault(tuple(sorted(values)), []).append(values)
    for batch in batches.values():
        for start in range(0, len(batch), CHUNK):
            db.session.execute(update(Contact), batch[start:start + CHUNK])


def _set_groups(wanted: dict[int, list[str]]) -> None:
    """Make each listed contact's groups exactly `wanted[id]`, touching only what differs."""
    if not wanted:
        return
    have: dict[int, dict[str, int]] = {}
    for row_id, contact_id, name in db.session.execute(select(ContactGroup.id, ContactGroup.contact_id,
                                                              ContactGroup.name)):
        if contact_id in wanted:
            have.setdefault(contact_id, {})[name] = row_id
    stale = [row_id for cid, names in have.items() for name, row_id in names.items() if name not in wanted[cid]]
    missing = [{"contact_id": cid, "name": name} for cid, names in wanted.items()
               for name in names if name not in have.get(cid, {})]
    for start in range(0, len(stale), CHUNK):
        db.session.execute(delete(ContactGroup).where(ContactGroup.id.in_(stale[start:start + CHUNK])))
    for start in range(0, len(missing), CHUNK):
        db.session.execute(insert(ContactGroup), missing[start:start + CHUNK])
    # Contacts already loaded in this session must not keep a stale group list.
    db.session.expire_all()


def import_file(filename: str, data: bytes, *, dry_run: bool = False, actor: str = "system") -> ImportResult:
    """Read an uploaded file and import it; raises ImportFileError when the file is unreadable."""
    return import_contacts(read_table(filename, data), dry_run=dry_run, actor=actor, source=filename or "")
