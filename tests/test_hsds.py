"""Importing Open Referral HSDS 3.0 (JSON and CSV datapackage) and exporting ours."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.config import ROOT, SUPPORTED_LANGUAGES
from bot.content import hours
from bot.content.hsds import export_hsds, import_hsds
from bot.content.store import load

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 23)


def imported(folder: Path) -> dict[str, dict]:
    services = yaml.safe_load((folder / "services" / "imported.yaml").read_text())
    return {s["name"] + (f"@{s['location']['lat']}" if "location" in s else ""): s for s in services}


def test_json_import_with_malformed_records(tmp_path):
    report = import_hsds(DATA / "hsds_services.json", tmp_path, DATA / "hsds_mapping.yaml", today=TODAY)
    services = imported(tmp_path)
    # The legal clinic has two locations: two services, each with its own hours.
    clinic = [s for s in services.values() if s["name"] == "Legal Clinic for Migrants"]
    assert len(clinic) == 2
    centre = next(s for s in clinic if s["location"]["lat"] == 42.6953)
    assert centre["hours"] == {day: ["09:00-13:00"] for day in ("mon", "tue", "wed", "thu")}  # monthly & expired left out
    assert centre["address"] == "7 Example Street, 1000 Sofia"
    assert centre["languages"] == ["ar", "fa_AF", "en"]
    assert centre["categories"] == ["legal-aid"]  # the AIRS code mapped to the same category
    assert centre["cost"] == "free" and centre["checked"] == "2026-09-30"
    desk = next(s for s in clinic if s is not centre)
    assert desk["hours"]["sat"] == ["10:00-14:00"]  # the location's own schedule
    shelter = next(s for s in services.values() if s["name"] == "Night Shelter Warm Beds")
    assert shelter["categories"] == ["shelter-housing"] and shelter["hours"]["fri"] == ["20:00-08:00"]
    line = next(s for s in services.values() if s["name"] == "Crisis Phone Line")
    assert line["hours"]["sun"] == ["00:00-24:00"]
    reasons = "\n".join(report.skipped)
    for expected in ("status defunct", "no name", "not an object", "'Bicycle Repair Café': no category"):
        assert expected in reasons
    assert report.unmapped_terms == {"XX-9999": 1}
    course = next(s for s in services.values() if s["name"] == "Evening Bulgarian Course")
    assert "location" not in course and "hours" not in course  # bad values left out, record kept
    assert any("bad time '18h'" in note for note in report.notes)
    assert report.services == 5  # two clinic locations, shelter, crisis line, course


def test_imported_directory_loads_uses_the_shipped_taxonomy_and_is_searchable(tmp_path):
    import_hsds(DATA / "hsds_services.json", tmp_path, DATA / "hsds_mapping.yaml", today=TODAY)
    version = load(tmp_path, ROOT / "locales", list(SUPPORTED_LANGUAGES))
    assert len(version.categories) == 19 and len(version.lexicons) >= 15  # base content
    assert version.category_label("ar", "legal-aid") != "Legal help"      # ... with its translations
    hits = version.search.search("محامي", "ar").hits                          # Arabic for lawyer
    assert hits and hits[0].service.name == "Legal Clinic for Migrants"
    shelter = next(s for s in version.services.values() if s.name == "Night Shelter Warm Beds")
    assert hours.status(shelter.hours, datetime(2026, 11, 21, 2, 0, tzinfo=ZoneInfo("Europe/Sofia"))).open


def test_csv_datapackage_import(tmp_path):
    report = import_hsds(DATA / "hsds_csv", tmp_path, today=TODAY)
    services = {s["name"]: s for s in yaml.safe_load((tmp_path / "services" / "imported.yaml").read_text())}
    jobs = services["Job Counselling Desk"]
    assert jobs["categories"] == ["employment"] and jobs["phone"] == "+359 2 000 9100"
    assert jobs["hours"] == {"mon": ["09:00-17:00"], "wed": ["09:00-17:00"]}
    assert jobs["languages"] == ["uk", "ru"] and jobs["address"] == "3 Example Square, 1164 Sofia"
    assert services["Clothes Corner"]["hours"] == {"sat": ["10:00-14:00"]}
    assert report.services == 2 and len(report.skipped) == 2
    orgs = yaml.safe_load((tmp_path / "organisations.yaml").read_text())
    assert [o["name"] for o in orgs] == ["Bridges Foundation (sample)"]  # only organisations in use


def test_export_then_import_round_trip(tmp_path):
    version = load(ROOT / "content", ROOT / "locales", ["en"])
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(export_hsds(version)))
    report = import_hsds(exported, tmp_path / "again", today=TODAY)
    assert report.services == len(version.services) and not report.skipped
    again = load(tmp_path / "again", ROOT / "locales", ["en"])
    by_name = {s.name: s for s in again.services.values()}
    for original in version.services.values():
        copy = by_name[original.name]
        assert copy.categories == original.categories
        assert copy.hours == original.hours
        assert copy.languages == original.languages
        assert copy.location == original.location


def test_cli_import_then_search_the_new_directory(tmp_path):
    out = tmp_path / "directory"
    env_python = [sys.executable, "-m", "bot.cli"]
    result = subprocess.run(env_python + ["content", "import-hsds", str(DATA / "hsds_csv"), "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and "imported 2 services" in result.stdout
    result = subprocess.run(env_python + ["search", "rabota", "--lang", "ru", "--content", str(out), "--json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert json.loads(result.stdout)["results"][0]["name"] == "Job Counselling Desk"
