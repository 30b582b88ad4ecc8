"""Open Referral HSDS 3.0: import a directory into content files, export ours to share.

Import takes HSDS JSON (a list of full Service objects, or an API page `{"contents": [...]}`) or
a tabular datapackage (a folder of CSV files: services.csv, organizations.csv, locations.csv,
service_at_locations.csv, addresses.csv, phones.csv, schedules.csv, languages.csv,
attributes.csv, taxonomy_terms.csv). Tabular rows are assembled into the same nested objects, so
one importer handles both. Each service becomes one content service per location. Categories
come from taxonomy terms: a term whose code is one of our category ids maps directly, others go
through a mapping file (YAML `{code or name: category-id}`), the rest stay uncategorised and are
reported. A malformed record is skipped with its reason; it never stops the import.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.content.schema import CATEGORY_IDS, WEEKDAYS, Organisation, Service

BYDAY = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat", "SU": "sun"}
LANGUAGES = {
    "en": "en", "eng": "en", "ar": "ar", "ara": "ar", "fa": "fa", "fas": "fa", "per": "fa",
    "prs": "fa_AF", "fa-af": "fa_AF", "ps": "ps", "pus": "ps", "pbt": "ps", "pbu": "ps",
    "ur": "ur", "urd": "ur", "uk": "uk", "ukr": "uk", "ru": "ru", "rus": "ru", "tr": "tr", "tur": "tr",
    "ckb": "ckb", "kmr": "kmr", "ku": "kmr", "kur": "kmr", "so": "so", "som": "so", "ti": "ti", "tir": "ti",
    "fr": "fr", "fra": "fr", "fre": "fr", "bg": "bg", "bul": "bg",
}
NAMESPACE = uuid.UUID("2f1d7b8e-5a4c-4f5e-9d51-7a3a2c0b9e11")
INACTIVE = {"inactive", "defunct"}


@dataclass
class ImportReport:
    services: int = 0
    organisations: int = 0
    skipped: list[str] = field(default_factory=list)
    unmapped_terms: dict[str, int] = field(default_factory=dict)
    uncategorised: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"imported {self.services} services from {self.organisations} organisations"]
        out += [f"skipped: {reason}" for reason in self.skipped]
        out += [f"uncategorised (no mapped taxonomy term): {name}" for name in self.uncategorised]
        out += [f"unmapped taxonomy term {term!r} ({count} services)" for term, count in sorted(self.unmapped_terms.items())]
        out += [f"note: {note}" for note in self.notes]
        return out


def slug(text: str, salt: str = "", limit: int = 40) -> str:
    """A stable content id: readable part of the name + a short hash of the source id."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"
    suffix = hashlib.sha1(salt.encode()).hexdigest()[:6] if salt else ""
    base = base[: limit - len(suffix) - 1].rstrip("-") if suffix else base[:limit]
    return f"{base}-{suffix}" if suffix else base


# -- reading sources ------------------------------------------------------------------------

def read_source(source: Path) -> list[dict[str, Any]]:
    """HSDS Service objects from a JSON file or a tabular datapackage folder."""
    if source.is_dir():
        return assemble_tabular(source)
    data = json.loads(source.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return data["contents"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "name" in data:
        return [data]
    raise ValueError(f"{source}: expected a list of services or an API page with 'contents'")


def _table(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)]


def _group(rows: list[dict[str, str]], key: str) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row.get(key):
            grouped.setdefault(row[key], []).append(row)
    return grouped


def assemble_tabular(folder: Path) -> list[dict[str, Any]]:
    """Join the CSV tables of a datapackage into nested Service objects."""
    organisations = {row["id"]: row for row in _table(folder, "organizations") if row.get("id")}
    locations = {row["id"]: dict(row) for row in _table(folder, "locations") if row.get("id")}
    for location_id, addresses in _group(_table(folder, "addresses"), "location_id").items():
        if location_id in locations:
            locations[location_id]["addresses"] = addresses
    terms = {row["id"]: row for row in _table(folder, "taxonomy_terms") if row.get("id")}
    attributes = _group([row for row in _table(folder, "attributes")
                         if row.get("link_entity", "service") in ("service", "")], "link_id")
    phones = _group(_table(folder, "phones"), "service_id")
    schedules = _group(_table(folder, "schedules"), "service_id")
    location_schedules = _group(_table(folder, "schedules"), "location_id")
    languages = _group(_table(folder, "languages"), "service_id")
    at_locations = _group(_table(folder, "service_at_locations"), "service_id")
    services = []
    for row in _table(folder, "services"):
        service: dict[str, Any] = dict(row)
        service["organization"] = organisations.get(row.get("organization_id", ""), {})
        service["phones"] = phones.get(row.get("id", ""), [])
        service["schedules"] = schedules.get(row.get("id", ""), [])
        service["languages"] = languages.get(row.get("id", ""), [])
        service["attributes"] = [{**a, "taxonomy_term": terms.get(a.get("taxonomy_term_id", ""), {})}
                                 for a in attributes.get(row.get("id", ""), [])]
        service["service_at_locations"] = []
        for link in at_locations.get(row.get("id", ""), []):
            location = locations.get(link.get("location_id", ""))
            if location is not None:
                location = {**location, "schedules": location_schedules.get(location["id"], [])}
                service["service_at_locations"].append({**link, "location": location})
        services.append(service)
    return services


# -- converting ----------------------------------------------------------------------------------

def _time(value: str) -> str:
    """'09:00', '9:00:00', '09:00Z', '09:00+02:00' → '09:00' (local times: HSDS is inconsistent)."""
    match = re.match(r"^(\d{1,2}):(\d{2})", (value or "").strip())
    if not match:
        raise ValueError(f"time {value!r}")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def schedule_hours(schedules: list[dict[str, Any]], today: date, report: ImportReport, where: str) -> dict[str, list[str]]:
    hours: dict[str, list[str]] = {}
    for schedule in schedules or []:
        freq = (schedule.get("freq") or "WEEKLY").upper()
        valid_to = schedule.get("valid_to") or ""
        if valid_to and valid_to[:10] < today.isoformat():
            continue  # an old schedule
        if freq != "WEEKLY" or not schedule.get("byday") or not schedule.get("opens_at"):
            report.notes.append(f"{where}: schedule not weekly or without days/times, left out")
            continue
        try:
            opens, closes = _time(schedule["opens_at"]), _time(schedule.get("closes_at") or "")
        except ValueError as exc:
            report.notes.append(f"{where}: bad {exc}, schedule left out")
            continue
        if closes in ("23:59", "00:00") and opens == "00:00":
            closes = "24:00"
        for code in str(schedule["byday"]).replace(" ", "").split(","):
            day = BYDAY.get(code[-2:].upper())
            if day and f"{opens}-{closes}" not in hours.get(day, []):
                hours.setdefault(day, []).append(f"{opens}-{closes}")
    return {day: sorted(hours[day]) for day in WEEKDAYS if day in hours}


def categories_of(service: dict[str, Any], mapping: dict[str, str], report: ImportReport) -> list[str]:
    found: list[str] = []
    for attribute in service.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        code, name = str(term.get("code") or "").strip(), str(term.get("name") or "").strip()
        category = (code if code in CATEGORY_IDS else None) or mapping.get(code) or mapping.get(name) \
            or mapping.get(name.lower())
        if category in CATEGORY_IDS:
            if category not in found:
                found.append(category)
        elif code or name:
            key = code or name
            report.unmapped_terms[key] = report.unmapped_terms.get(key, 0) + 1
    return found[:3]


def _address(location: dict[str, Any]) -> str:
    for address in location.get("addresses") or location.get("physical_addresses") or []:
        parts = [address.get("address_1"), address.get("address_2"),
                 " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)]
        text = ", ".join(p for p in parts if p)
        if text:
            return text
    return ""


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def convert(service: dict[str, Any], mapping: dict[str, str], report: ImportReport, today: date,
            organisations: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One HSDS Service → content services (one per location); raises ValueError if unusable."""
    name = (service.get("name") or "").strip()
    source_id = str(service.get("id") or name)
    if not name:
        raise ValueError("no name")
    if (service.get("status") or "active").lower() in INACTIVE:
        raise ValueError(f"status {service.get('status')}")
    organisation = service.get("organization") or {}
    org_name = (organisation.get("name") or "").strip() or "Unknown organisation"
    org_id = slug(org_name, str(organisation.get("id") or org_name))
    organisations.setdefault(org_id, {k: v for k, v in {
        "id": org_id, "name": org_name, "description": (organisation.get("description") or "").strip(),
        "website": organisation.get("website") or organisation.get("url") or None,
        "email": organisation.get("email") or None}.items() if v})
    categories = categories_of(service, mapping, report)
    if not categories:
        report.uncategorised.append(name)
        raise ValueError(f"{name!r}: no category")
    phones = [p.get("number") for p in service.get("phones") or [] if p.get("number")]
    languages = []
    for language in service.get("languages") or []:
        code = LANGUAGES.get(str(language.get("code") or "").strip().lower().replace("_", "-"))
        if code and code not in languages:
            languages.append(code)
    fees = (service.get("fees_description") or service.get("fees") or "").strip().lower()
    cost = "free" if fees in ("free", "no charge", "0") or fees.startswith("free") else None
    assured = (service.get("assured_date") or "")[:10]
    base = {
        "organisation": org_id, "name": name[:80],
        "description": (service.get("description") or "").strip()[:600],
        "categories": categories, "phone": phones[0] if phones else None,
        "website": service.get("url") or None, "languages": languages, "cost": cost,
        "eligibility": (service.get("eligibility_description") or "").strip()[:300],
        "checked": assured if re.match(r"^\d{4}-\d{2}-\d{2}$", assured) else None,
    }
    locations = [link.get("location") or {} for link in service.get("service_at_locations") or []] or [{}]
    converted = []
    for number, location in enumerate(locations, 1):
        where = f"{name!r}"
        item = dict(base, id=slug(name, source_id + (f"#{number}" if len(locations) > 1 else "")))
        lat, lon = _float(location.get("latitude")), _float(location.get("longitude"))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            item["location"] = {"lat": lat, "lon": lon}
        elif location:
            report.notes.append(f"{where}: location without usable coordinates")
        item["address"] = _address(location)
        item["hours"] = schedule_hours((service.get("schedules") or []) + (location.get("schedules") or []),
                                       today, report, where)
        cleaned = {k: v for k, v in item.items() if v not in (None, "", [], {})}
        Service.model_validate(cleaned)  # the same rules as hand-written content
        converted.append(cleaned)
    return converted


def import_hsds(source: Path, out: Path, mapping_file: Path | None = None, today: date | None = None) -> ImportReport:
    """Write organisations.yaml and services/imported.yaml under `out`; return what happened."""
    today = today or date.today()
    report = ImportReport()
    mapping: dict[str, str] = {}
    if mapping_file:
        raw = yaml.safe_load(mapping_file.read_text(encoding="utf-8")) or {}
        mapping = {str(k): str(v) for k, v in raw.items()}
        bad = sorted({v for v in mapping.values() if v not in CATEGORY_IDS})
        if bad:
            report.notes.append(f"mapping file: unknown category ids {', '.join(bad)}")
    organisations: dict[str, dict[str, Any]] = {}
    services: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, raw in enumerate(read_source(source), 1):
        label = f"record {position}" + (f" ({raw.get('name')!r})" if isinstance(raw, dict) and raw.get("name") else "")
        try:
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            for item in convert(raw, mapping, report, today, organisations):
                if item["id"] in seen:
                    raise ValueError(f"duplicate id {item['id']}")
                seen.add(item["id"])
                services.append(item)
        except (ValueError, TypeError, KeyError) as exc:
            report.skipped.append(f"{label}: {str(exc).splitlines()[0]}")
    used = {s["organisation"] for s in services}
    kept = [org for org_id, org in organisations.items() if org_id in used]
    for org in kept:
        Organisation.model_validate(org)
    (out / "services").mkdir(parents=True, exist_ok=True)
    (out / "organisations.yaml").write_text(_dump(kept), encoding="utf-8")
    (out / "services" / "imported.yaml").write_text(_dump(services), encoding="utf-8")
    report.services, report.organisations = len(services), len(kept)
    return report


def _dump(data: Any) -> str:
    return "# Imported from HSDS by `rahnama content import-hsds`; edit freely.\n" + \
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


# -- export ---------------------------------------------------------------------------------------

def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def export_hsds(content: Any) -> list[dict[str, Any]]:
    """Our services as HSDS 3.0 Service objects (ids are stable UUIDs derived from ours)."""
    out = []
    for service in content.services.values():
        organisation = content.organisations[service.organisation]
        service_uuid = _uuid("service", service.id)
        schedules = [{"id": _uuid("schedule", f"{service.id}:{day}:{span}"), "service_id": service_uuid,
                      "freq": "WEEKLY", "byday": code, "opens_at": span.split("-")[0],
                      "closes_at": "23:59" if span.endswith("-24:00") else span.split("-")[1]}
                     for code, day in BYDAY.items() for span in service.hours.get(day, ())]
        location = {}
        if service.location or service.address:
            location = {"id": _uuid("location", service.id), "name": service.name,
                        "latitude": service.location.lat if service.location else None,
                        "longitude": service.location.lon if service.location else None,
                        "addresses": [{"id": _uuid("address", service.id), "address_1": service.address,
                                       "address_type": "physical"}] if service.address else []}
        out.append({
            "id": service_uuid, "name": service.name, "description": service.description,
            "status": "active", "url": service.website, "eligibility_description": service.eligibility or None,
            "fees_description": {"free": "Free", "low-cost": "Low cost", "paid": "Paid"}.get(service.cost or "", None),
            "assured_date": service.checked.isoformat() if service.checked else None,
            "alternate_name": service.id,
            "organization": {"id": _uuid("organization", organisation.id), "name": organisation.name,
                             "description": organisation.description, "website": organisation.website,
                             "email": organisation.email},
            "phones": [{"id": _uuid("phone", service.id), "number": service.phone}] if service.phone else [],
            "schedules": schedules,
            "languages": [{"id": _uuid("language", f"{service.id}:{code}"), "code": code.replace("_", "-")}
                          for code in service.languages],
            "service_at_locations": [{"id": _uuid("sal", service.id), "service_id": service_uuid,
                                      "location": location}] if location else [],
            "attributes": [{"id": _uuid("attribute", f"{service.id}:{category}"), "link_id": service_uuid,
                            "link_type": "category", "link_entity": "service",
                            "taxonomy_term": {"id": _uuid("term", category), "code": category,
                                              "name": content.categories[category].label, "taxonomy": "rahnama"}}
                           for category in service.categories],
        })
    return out
