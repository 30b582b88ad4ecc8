"""The shape of the files in `content/` (see docs/content-format.md)."""
from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
RANGE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CATEGORY_IDS = (
    "legal-aid", "documents", "health", "mental-health", "food", "shelter-housing", "education",
    "language-classes", "employment", "social-benefits", "money-banking", "children-family",
    "protection", "community", "interpretation", "emergency", "transport", "clothing-goods",
    "disability",
)
# Translated fields per kind: what the Babel extractor collects and `content check` verifies.
TRANSLATED = {
    "city": ("name",),
    "category": ("label",),
    "organisation": ("name", "description"),
    "service": ("name", "description", "directions", "hours_note", "eligibility"),
    "area": ("name",),
    "page": ("title", "summary", "body"),
    "emergency": ("label", "note"),
}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Slugged(Model):
    """A record with a stable public id."""

    id: str

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"{value!r} is not an id (a-z, 0-9 and -, at most 40 characters)")
        return value


class Point(Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class City(Model):
    name: str
    timezone: str = "Europe/Sofia"
    host_language: str = "bg"
    center: Point | None = None
    sample: bool = False


class Category(Model):
    id: str
    icon: str
    label: str

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CATEGORY_IDS:
            raise ValueError(f"{value!r} is not one of the fixed category ids")
        return value


class Organisation(Slugged):
    name: str
    description: str = ""
    website: str | None = None
    phone: str | None = None
    email: str | None = None


class Service(Slugged):
    organisation: str
    name: str = Field(max_length=80)
    description: str = Field(default="", max_length=600)
    categories: tuple[str, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    address: str = ""
    area: str | None = None
    location: Point | None = None
    directions: str = ""
    phone: str | None = None
    website: str | None = None
    hours: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    hours_note: str = ""
    languages: tuple[str, ...] = ()
    cost: Literal["free", "low-cost", "paid"] | None = None
    eligibility: str = ""
    checked: date | None = None

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})")
            for span in ranges:
                if not RANGE.match(span):
                    raise ValueError(f"{day}: {span!r} is not a range like 09:00-17:00")
        return value


class Area(Slugged):
    name: str
    aliases: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    location: Point


class Page(Slugged):
    title: str = Field(max_length=80)
    categories: tuple[str, ...] = ()
    summary: str = ""
    body: str = Field(max_length=2000)
    related_services: tuple[str, ...] = ()
    checked: date | None = None


class EmergencyContact(Slugged):
    label: str
    phone: str
    note: str = ""


class Partner(Model):
    organisation: str
    categories: tuple[str, ...] = ()
    office_hours: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    answer_within_hours: int = 48


class Network(Model):
    partners: tuple[Partner, ...] = ()
    default_partner: str | None = None
    complaints_focal_point: str | None = None


class Lexicon(Model):
    """Words people type in one language (see docs/lexicon-format.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    language: str
    name: str = ""
    categories: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    danger: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    commands: dict[str, tuple[str, ...]] = Field(default_factory=dict)
