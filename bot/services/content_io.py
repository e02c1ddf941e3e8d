"""`python -m bot import|export` for organisations and canned answers (YAML or CSV).

An import is an upsert by id (organisations) or code (canned answers). Nothing is written before the whole
result passes the same validation as `python -m bot check` on a copy of data/; a dry run shows what would change.
Partner offers belong to the family-card feature (another issue): add a kind here when its storage lands.
Rewritten files keep their leading comment block; comments inside the lists are not kept.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.services import content as content_mod
from bot.services import places, yamlsafe
from bot.services.cells import escape, unescape
from bot.services.content_base import CANNED_DIR, ORGANISATIONS_FILE

KINDS = ("organisations", "canned")
ORG_I18N = ("name", "description", "hours", "note")
ORG_LISTS = ("kinds", "phones")
ORG_COLUMNS = (
    "id",
    "name_ru",
    "name_en",
    "description_ru",
    "description_en",
    "kinds",
    "region",
    "phones",
    "address",
    "hours_ru",
    "hours_en",
    "url",
    "free",
    "anonymous",
    "priority",
    "status",
    "note_ru",
    "note_en",
    "source",
    "as_of",
    "review_by",
    "city",
    "source_url",
    "lat",
    "lon",
    "location_source",
)
CANNED_COLUMNS = ("code", "title_ru", "title_en", "text_ru", "text_en", "refs", "file")
IMPORTED_CANNED = "imported.yaml"


class ImportError_(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class Plan:
    kind: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    files: dict[str, Any] = field(default_factory=dict)  # relative path → new YAML document

    def summary(self) -> str:
        return (
            f"{self.kind}: {len(self.added)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"
            + (f"\n  new: {', '.join(self.added)}" if self.added else "")
            + (f"\n  changed: {', '.join(self.changed)}" if self.changed else "")
        )


# --- reading the input ---------------------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.replace(",", ";").split(";") if x.strip()]


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    return None if not v else v in ("1", "true", "yes", "да")


def _org_from_row(row: dict[str, str]) -> dict[str, Any]:
    org: dict[str, Any] = {"id": row.get("id", "").strip()}
    for key in ORG_I18N:
        ru, en = (row.get(f"{key}_ru") or "").strip(), (row.get(f"{key}_en") or "").strip()
        if ru or en:
            org[key] = {"ru": ru, "en": en}
    org["kinds"] = _split(row.get("kinds") or "")
    org["region"] = (row.get("region") or "").strip()
    phones = _split(row.get("phones") or "")
    if phones:
        org["phones"] = phones
    for key in ("address", "url", "status", "source"):
        if (row.get(key) or "").strip():
            org[key] = row[key].strip()
    for key in ("as_of", "review_by"):
        if (row.get(key) or "").strip():
            try:
                org[key] = date.fromisoformat(row[key].strip())
            except ValueError:
                org[key] = row[key].strip()
    for key in ("free", "anonymous"):
        value = _bool(row.get(key) or "")
        if value is not None:
            org[key] = value
    if (row.get("priority") or "").strip():
        org["priority"] = int(row["priority"])
    for key in ("city", "source_url"):
        if (row.get(key) or "").strip():
            org[key] = row[key].strip()
    lat, lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
    if lat or lon:  # the building's own point, with its source (validated: within the region's box)
        org["location"] = {
            "lat": _float(lat),
            "lon": _float(lon),
            "source": (row.get("location_source") or "").strip(),
        }
    return org


def _float(value: str) -> float | str:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return value  # reported by the validation with the row's id


def _canned_from_row(row: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "code": (row.get("code") or "").strip(),
        "title": {"ru": row.get("title_ru") or "", "en": row.get("title_en") or ""},
        "text": {"ru": row.get("text_ru") or "", "en": row.get("text_en") or ""},
    }
    refs = _split(row.get("refs") or "")
    if refs:
        answer["refs"] = refs
    if (row.get("file") or "").strip():
        answer["_file"] = row["file"].strip()
    return answer


def read_input(kind: str, path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = [{k: unescape(v) for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]
        return [(_org_from_row if kind == "organisations" else _canned_from_row)(r) for r in rows]
    raw = yamlsafe.load(text)
    key = "organisations" if kind == "organisations" else "answers"
    items = raw.get(key) if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise ImportError_([f"{path.name}: expected a list of entries (or a mapping with `{key}:`)"])
    return items


# --- planning and writing ------------------------------------------------------------------------------------


def _header(path: Path) -> str:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            lines.append(line)
        else:
            break
    return "\n".join(lines).rstrip() + "\n" if lines else ""


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)


def _jsonable(doc: Any) -> Any:
    return yaml.safe_load(yaml.safe_dump(doc, allow_unicode=True))


def _number(phone: Any) -> str:
    return str(phone.get("number") if isinstance(phone, dict) else phone).strip()


def _keep_phone_notes(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """CSV carries bare numbers: a number that already had a note in YAML keeps it."""
    if not old or not new.get("phones"):
        return new
    notes = {_number(p): p for p in old.get("phones") or [] if isinstance(p, dict)}
    return {**new, "phones": [notes.get(_number(p), p) for p in new["phones"]]}


def plan(kind: str, data_dir: Path, items: list[dict[str, Any]]) -> Plan:
    result = Plan(kind)
    if kind == "organisations":
        path = data_dir / ORGANISATIONS_FILE
        doc = yamlsafe.load(path.read_text(encoding="utf-8"))
        current = {o["id"]: o for o in doc["organisations"]}
        for item in items:
            key = str(item.get("id") or "")
            if not key:
                raise ImportError_(["an organisation without an id"])
            item = _keep_phone_notes(current.get(key), item)
            if key not in current:
                result.added.append(key)
                doc["organisations"].append(item)
            elif _jsonable(current[key]) != _jsonable(item):
                result.changed.append(key)
                doc["organisations"][doc["organisations"].index(current[key])] = item
            else:
                result.unchanged.append(key)
        result.files[ORGANISATIONS_FILE] = doc
        return result
    folder = data_dir / CANNED_DIR
    docs = {p.name: yamlsafe.load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))}
    where = {a["code"]: name for name, d in docs.items() for a in d.get("answers") or []}
    touched: set[str] = set()
    for item in items:
        item = dict(item)
        target_file = item.pop("_file", None)
        code = str(item.get("code") or "")
        if not code:
            raise ImportError_(["a canned answer without a code"])
        if code in where:
            name = where[code]
            answers = docs[name]["answers"]
            i = next(n for n, a in enumerate(answers) if a["code"] == code)
            if _jsonable(answers[i]) == _jsonable(item):
                result.unchanged.append(code)
                continue
            answers[i] = item
            result.changed.append(code)
        else:
            name = target_file if target_file and target_file.endswith(".yaml") else IMPORTED_CANNED
            docs.setdefault(name, {"answers": []}).setdefault("answers", []).append(item)
            where[code] = name
            result.added.append(code)
        touched.add(name)
    for name in touched:
        result.files[f"{CANNED_DIR}/{name}"] = docs[name]
    return result


def validate_plan(data_dir: Path, p: Plan) -> list[str]:
    """Write the plan into a copy of data/ and run the full content validation there."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data_dir, copy)
        _write(copy, p)
        return content_mod.validate(copy) + places.validate(copy)


def _write(data_dir: Path, p: Plan) -> None:
    for rel, doc in p.files.items():
        path = data_dir / rel
        header = _header(path) if path.exists() else ""
        path.write_text(header + _dump(doc), encoding="utf-8")


def apply(kind: str, data_dir: Path, source: Path, *, dry_run: bool) -> Plan:
    if kind not in KINDS:
        raise ImportError_([f"unknown kind {kind!r}; use one of {', '.join(KINDS)}"])
    p = plan(kind, data_dir, read_input(kind, source))
    errors = validate_plan(data_dir, p)
    if errors:
        raise ImportError_(errors)
    if not dry_run and (p.added or p.changed):
        _write(data_dir, p)
    return p


# --- export --------------------------------------------------------------------------------------------------


def export(kind: str, data_dir: Path, fmt: str) -> str:
    if kind == "organisations":
        items = yamlsafe.load((data_dir / ORGANISATIONS_FILE).read_text(encoding="utf-8"))["organisations"]
        if fmt == "yaml":
            return _dump({"organisations": items})
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=ORG_COLUMNS)
        writer.writeheader()
        for o in items:
            row: dict[str, Any] = {}
            for key in ORG_I18N:
                value = o.get(key) or {}
                row[f"{key}_ru"], row[f"{key}_en"] = value.get("ru", ""), value.get("en", "")
            for key in ORG_LISTS:
                row[key] = "; ".join(_number(x) for x in o.get(key) or [])
            for key in (
                "id",
                "region",
                "address",
                "url",
                "free",
                "anonymous",
                "priority",
                "status",
                "source",
            ):
                row[key] = "" if o.get(key) is None else o[key]
            row["as_of"], row["review_by"] = str(o.get("as_of") or ""), str(o.get("review_by") or "")
            row["city"], row["source_url"] = o.get("city") or "", o.get("source_url") or ""
            location = o.get("location") or {}
            row["lat"], row["lon"] = location.get("lat", ""), location.get("lon", "")
            row["location_source"] = location.get("source", "")
            writer.writerow({k: escape(v) for k, v in row.items()})
        return buf.getvalue()
    folder = data_dir / CANNED_DIR
    rows = []
    for path in sorted(folder.glob("*.yaml")):
        for a in (yamlsafe.load(path.read_text(encoding="utf-8")) or {}).get("answers") or []:
            rows.append((path.name, a))
    if fmt == "yaml":
        return _dump({"answers": [a for _, a in rows]})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CANNED_COLUMNS)
    writer.writeheader()
    for name, a in rows:
        writer.writerow(
            {
                k: escape(v)
                for k, v in {
                    "code": a["code"],
                    "title_ru": a["title"]["ru"],
                    "title_en": a["title"]["en"],
                    "text_ru": a["text"]["ru"],
                    "text_en": a["text"]["en"],
                    "refs": "; ".join(a.get("refs") or []),
                    "file": name,
                }.items()
            }
        )
    return buf.getvalue()
