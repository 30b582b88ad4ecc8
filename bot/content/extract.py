"""A Babel extractor for the YAML content files.

Registered as the `rahnama_content` extraction method (entry point in pyproject.toml), so
`pybabel extract` and `rahnama i18n extract` both find translatable content. Every message gets a
msgctxt naming what it is (`service/asylum-legal-advice/name`), so two services with the same
English name can be translated differently, and a changed English text is matched to its old
translation (which becomes fuzzy: shown as stale, never used silently).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from bot.content.schema import TRANSLATED

# File name (or folder) → the kind of record it holds.
KINDS = {
    "city.yaml": "city",
    "taxonomy.yaml": "category",
    "organisations.yaml": "organisation",
    "services": "service",
    "services.yaml": "service",
    "areas.yaml": "area",
    "pages": "page",
    "emergency.yaml": "emergency",
    "texts.yaml": "text",
}

NOTES = {
    ("service", "name"): "Service name shown as a title: keep it under 60 characters.",
    ("page", "title"): "Title of an information page: keep it under 60 characters.",
    ("category", "label"): "Category label, also a menu entry: keep it under 24 characters.",
    ("area", "name"): "A district of the city: transliterate it into your script.",
}

Message = tuple[int, str, tuple[str, str], list[str]]


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping, so translators can find the source."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def kind_of(path: str) -> str | None:
    parts = Path(path).parts
    for part in reversed(parts):
        if part in KINDS:
            return KINDS[part]
    return None


def extract_content(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Message]:
    """Babel extraction method: yields (line, 'pgettext', (context, text), comments)."""
    kind = kind_of(getattr(fileobj, "name", "") or options.get("filename", ""))
    if kind is None:
        return
    data = yaml.load(fileobj.read().decode("utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    yield from messages_of(kind, data)


def messages_of(kind: str, data: Any) -> Iterator[Message]:
    if kind == "text":
        for key, value in (data or {}).items():
            if key != "__line__" and isinstance(value, str) and value.strip():
                yield data.get("__line__", 1), "pgettext", (f"text/{key}", value), ["Bot text: keep {placeholders} unchanged."]
        return
    records = data if isinstance(data, list) else [data]
    for record in records:
        if not isinstance(record, dict):
            continue
        record_id = "name" if kind == "city" else record.get("id")
        for field in TRANSLATED.get(kind, ()):
            value = record.get(field)
            if isinstance(value, str) and value.strip():
                context = "city/name" if kind == "city" else f"{kind}/{record_id}/{field}"
                note = NOTES.get((kind, field))
                yield record.get("__line__", 1), "pgettext", (context, value), [note] if note else []
