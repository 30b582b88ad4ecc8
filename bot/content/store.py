"""The translated content store: one immutable `ContentVersion`, swapped atomically on reload.

A handler takes `store.current` once at the start of a turn and uses that version throughout,
so a reload in the middle of a conversation never mixes old and new content in one reply.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from bot.config import ROOT
from bot.content import schema
from bot.content.i18n import CatalogData, Translator, load_catalogs
from bot.content.normalize import fold

log = logging.getLogger(__name__)

BASE_CONTENT = ROOT / "content"
BASE_LOCALES = ROOT / "locales"
# Files a content directory may leave out: the shipped base content is used instead.
INHERITED = ("city.yaml", "taxonomy.yaml", "texts.yaml", "emergency.yaml", "lexicon")


class ContentError(Exception):
    """Content that cannot be loaded; the message says which file and why."""


@dataclass(frozen=True)
class ContentVersion:
    """Everything the bot knows, at one moment. Never mutated after loading."""

    fingerprint: str
    languages: tuple[str, ...]
    default_language: str
    city: schema.City
    categories: dict[str, schema.Category]
    lexicons: dict[str, schema.Lexicon]
    organisations: dict[str, schema.Organisation]
    services: dict[str, schema.Service]
    areas: dict[str, schema.Area]
    pages: dict[str, schema.Page]
    emergency: tuple[schema.EmergencyContact, ...]
    texts: dict[str, str]
    network: schema.Network
    catalogs: dict[str, CatalogData]
    timezone: str = "Europe/Sofia"
    sources: dict[str, Path] = field(default_factory=dict)
    _translators: dict[str, Translator] = field(default_factory=dict, repr=False)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def catalog_languages(self) -> tuple[str, ...]:
        """English (the source) and every enabled language."""
        return tuple(dict.fromkeys(("en", *self.languages)))

    @cached_property
    def search(self) -> Any:
        """The search index of this version (built before the version is swapped in)."""
        from bot.content.search import SearchIndex

        return SearchIndex.build(self)

    def translator(self, lang: str) -> Translator:
        found = self._translators.get(lang)
        if found is None:
            found = Translator(lang, self.catalogs, self.default_language)
            self._translators[lang] = found
        return found

    def text(self, lang: str, text_id: str, **values: Any) -> str:
        """A bot text from texts.yaml, translated."""
        source = self.texts.get(text_id, "")
        return self.translator(lang).t(source, f"text/{text_id}", **values) if source else ""

    def field(self, lang: str, kind: str, record: Any, name: str) -> str:
        """A translated field of a content record (service name, page body...)."""
        source = getattr(record, name) or ""
        if not source:
            return ""
        return self.translator(lang).lookup(source, f"{kind}/{record.id}/{name}")

    def city_name(self, lang: str) -> str:
        return self.translator(lang).lookup(self.city.name, "city/name")

    def category_label(self, lang: str, category_id: str) -> str:
        category = self.categories[category_id]
        return self.translator(lang).lookup(category.label, f"category/{category.id}/label")

    @cached_property
    def command_words(self) -> dict[str, str]:
        """Folded whole-message word → command name, across every language."""
        words: dict[str, str] = {}
        for lexicon in self.lexicons.values():
            for command, entries in lexicon.commands.items():
                for entry in entries:
                    key = fold(entry)
                    if key:
                        words.setdefault(key, command)
        return words

    @cached_property
    def danger_index(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """Folded danger phrases (as word tuples) of every language, by their first word's stem."""
        index: dict[str, set[tuple[str, ...]]] = {}
        for lexicon in self.lexicons.values():
            for entry in lexicon.danger:
                phrase = tuple(fold(entry).split())
                if phrase:
                    index.setdefault(phrase[0][:4], set()).add(phrase)
        return {stem: tuple(sorted(phrases)) for stem, phrases in index.items()}


# -- loading --------------------------------------------------------------------------------

# libyaml's loader is ~10x faster than the pure-Python one; fall back if PyYAML was built without it.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML ({exc})") from None


def _parse(model: type[schema.Model], data: Any, where: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise ContentError(f"{where}: {loc}: {first['msg']}") from None


def _records(model: type[schema.Model], paths: list[Path]) -> dict[str, Any]:
    records: dict[str, Any] = {}
    for path in paths:
        data = _read_yaml(path) or []
        items = data if isinstance(data, list) else [data]
        for index, item in enumerate(items):
            record = _parse(model, item, Path(f"{path}[{index}]") if isinstance(data, list) else path)
            if record.id in records:
                raise ContentError(f"{path}: duplicate id {record.id!r}")
            records[record.id] = record
    return records


def _resolve(content_dir: Path, name: str) -> Path:
    own = content_dir / name
    if own.exists() or name not in INHERITED:
        return own
    return BASE_CONTENT / name


def fingerprint(paths: list[Path]) -> str:
    """Changes whenever any watched file is added, removed or modified."""
    digest = hashlib.sha1()
    for root in paths:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.suffix in (".yaml", ".yml", ".po") and path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    return digest.hexdigest()[:16]


def locales_dirs(content_dir: Path, locales_dir: Path) -> list[Path]:
    """Catalog search path: the content directory's own catalogs, then the shipped ones."""
    dirs = [content_dir / "locales", locales_dir, BASE_LOCALES]
    unique: list[Path] = []
    for directory in dirs:
        if directory.exists() and directory.resolve() not in [d.resolve() for d in unique]:
            unique.append(directory)
    return unique


def watched_paths(content_dir: Path, locales_dir: Path) -> list[Path]:
    return [content_dir, BASE_CONTENT, *locales_dirs(content_dir, locales_dir)]


def load(content_dir: Path, locales_dir: Path, languages: list[str] | tuple[str, ...],
         default_language: str = "en", timezone: str | None = None) -> ContentVersion:
    """Read and validate a content directory (raises ContentError with the first problem)."""
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ContentError(f"{content_dir}: content directory not found")
    stamp = fingerprint(watched_paths(content_dir, Path(locales_dir)))
    lexicon_dir = _resolve(content_dir, "lexicon")
    lexicons = {}
    for path in sorted(lexicon_dir.glob("*.yaml")):
        lexicon = _parse(schema.Lexicon, _read_yaml(path), path)
        lexicons[lexicon.language] = lexicon
    taxonomy = [_parse(schema.Category, item, _resolve(content_dir, "taxonomy.yaml"))
                for item in _read_yaml(_resolve(content_dir, "taxonomy.yaml")) or []]
    texts = {str(k): str(v) for k, v in (_read_yaml(_resolve(content_dir, "texts.yaml")) or {}).items()}
    network_path = content_dir / "network.yaml"
    city = _parse(schema.City, _read_yaml(_resolve(content_dir, "city.yaml")), _resolve(content_dir, "city.yaml"))
    version = ContentVersion(
        fingerprint=stamp,
        languages=tuple(languages),
        default_language=default_language,
        city=city,
        categories={category.id: category for category in taxonomy},
        lexicons=lexicons,
        organisations=_records(schema.Organisation, _existing(content_dir / "organisations.yaml")),
        services=_records(schema.Service, sorted((content_dir / "services").glob("*.yaml"))
                          + _existing(content_dir / "services.yaml")),
        areas=_records(schema.Area, _existing(content_dir / "areas.yaml")),
        pages=_records(schema.Page, sorted((content_dir / "pages").glob("*.yaml"))),
        emergency=tuple(_records(schema.EmergencyContact, _existing(_resolve(content_dir, "emergency.yaml"))).values()),
        texts=texts,
        network=_parse(schema.Network, _read_yaml(network_path) or {}, network_path) if network_path.exists()
        else schema.Network(),
        catalogs=load_catalogs(locales_dirs(content_dir, Path(locales_dir)), list(languages)),
        timezone=timezone or city.timezone,
        sources={"content": content_dir},
    )
    _check_references(version)
    return version


def _existing(path: Path) -> list[Path]:
    return [path] if path.exists() else []


def _check_references(version: ContentVersion) -> None:
    """Broken references would surface as crashes mid-conversation: refuse them at load."""
    problems = []
    for service in version.services.values():
        if service.organisation not in version.organisations:
            problems.append(f"service {service.id}: unknown organisation {service.organisation!r}")
        problems += [f"service {service.id}: unknown category {c!r}" for c in service.categories
                     if c not in version.categories]
        if service.area and service.area not in version.areas:
            problems.append(f"service {service.id}: unknown area {service.area!r}")
    for page in version.pages.values():
        problems += [f"page {page.id}: unknown service {s!r}" for s in page.related_services
                     if s not in version.services]
        problems += [f"page {page.id}: unknown category {c!r}" for c in page.categories
                     if c not in version.categories]
    for partner in version.network.partners:
        if partner.organisation not in version.organisations:
            problems.append(f"network: unknown organisation {partner.organisation!r}")
    for org in (version.network.default_partner, version.network.complaints_focal_point):
        if org and org not in version.organisations:
            problems.append(f"network: unknown organisation {org!r}")
    if problems:
        raise ContentError("; ".join(problems[:10]))


# -- the live store ---------------------------------------------------------------------------

class ContentStore:
    """Holds the current version and swaps in a new one when files change."""

    def __init__(self, content_dir: Path, locales_dir: Path, languages: list[str],
                 default_language: str = "en", timezone: str | None = None) -> None:
        self.timezone = timezone
        self.content_dir = Path(content_dir)
        self.locales_dir = Path(locales_dir)
        self.languages = list(languages)
        self.default_language = default_language
        self._current: ContentVersion | None = None
        self._listeners: list[Callable[[ContentVersion], None]] = []
        self.last_error: str | None = None

    @property
    def current(self) -> ContentVersion:
        if self._current is None:
            self._current = self._load()
        return self._current

    def _load(self) -> ContentVersion:
        version = load(self.content_dir, self.locales_dir, self.languages, self.default_language, self.timezone)
        version.search  # build the index before the swap, never on someone's first question
        return version

    def on_reload(self, listener: Callable[[ContentVersion], None]) -> None:
        self._listeners.append(listener)

    def current_fingerprint(self) -> str:
        return fingerprint(watched_paths(self.content_dir, self.locales_dir))

    async def reload(self) -> bool:
        """Load in a worker thread; swap only if the new content is valid. True if swapped."""
        try:
            version = await asyncio.to_thread(self._load)
        except ContentError as exc:
            self.last_error = str(exc)
            log.error("content reload refused: %s", exc)
            return False
        self._current = version
        self.last_error = None
        log.info("content reloaded", extra={"fingerprint": version.fingerprint})
        for listener in self._listeners:
            listener(version)
        return True

    async def watch(self, interval: float, requested: Callable[[], Any] | None = None) -> None:
        """Poll file fingerprints (and a cross-process reload request) and reload on change."""
        seen_request = await requested() if requested else None
        seen_stamp = self.current.fingerprint
        while True:
            await asyncio.sleep(interval)
            try:
                stamp = await asyncio.to_thread(self.current_fingerprint)
                request = await requested() if requested else None
                if stamp != seen_stamp or request != seen_request:
                    # Remember what we tried, so broken files are reported once, not every poll.
                    seen_stamp, seen_request = stamp, request
                    await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception:  # a watcher must outlive any one bad read
                log.exception("content watcher failed; retrying")
