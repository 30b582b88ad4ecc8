"""Reading and writing .po files, keeping the custom header fields Babel drops.

Babel's `Catalog` forgets header fields it does not know, such as our `X-Review-Status` (has a
native speaker checked this catalog?) and `X-Rahnama-Digits` (which digits to show). Translation
tools (Poedit, Weblate) keep them, so we read them from the file and write them back ourselves.
"""
from __future__ import annotations

import ast
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

CUSTOM_PREFIX = "X-"


def read_catalog(path: Path) -> Catalog:
    """Read a .po file, including the previous msgid of stale entries (`#| msgid`).

    Babel writes `#|` lines but does not read them back; without this, the "what changed"
    hint a translator sees in Poedit or Weblate would vanish at the next update.
    """
    with path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=False)
    previous = _previous_ids(path.read_text(encoding="utf-8"))
    if previous:
        for message in catalog:
            key = (message.context, message.id if isinstance(message.id, str) else message.id[0] if message.id else "")
            if key in previous:
                message.previous_id = previous[key]
    return catalog


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip()) if text.strip().startswith('"') else ""


def _previous_ids(text: str) -> dict[tuple[str | None, str], list[str]]:
    """(msgctxt, msgid) → previous msgid, from `#| msgid "..."` comment blocks."""
    found: dict[tuple[str | None, str], list[str]] = {}
    entry = {"previous": "", "msgctxt": "", "msgid": ""}
    field = ""
    for line in text.splitlines() + [""]:
        stripped = line.strip()
        if stripped.startswith("#| msgid "):
            field, entry["previous"] = "previous", _unquote(stripped[len("#| msgid "):])
        elif stripped.startswith('#| "') and field == "previous":
            entry["previous"] += _unquote(stripped[3:])
        elif stripped.startswith("msgctxt "):
            field, entry["msgctxt"] = "msgctxt", _unquote(stripped[len("msgctxt "):])
        elif stripped.startswith("msgid "):
            field, entry["msgid"] = "msgid", _unquote(stripped[len("msgid "):])
        elif stripped.startswith('"') and field in ("msgctxt", "msgid"):
            entry[field] += _unquote(stripped)
        elif stripped.startswith(("msgstr", "msgid_plural")) or not stripped:
            if field == "msgid" and entry["previous"]:
                found[(entry["msgctxt"] or None, entry["msgid"])] = [entry["previous"]]
            if not stripped:  # a blank line ends the entry
                entry = {"previous": "", "msgctxt": "", "msgid": ""}
            field = ""
    return found


def read_headers(path: Path) -> dict[str, str]:
    """The header fields of a .po file (the msgstr of the empty msgid), custom ones included."""
    lines = path.read_text(encoding="utf-8").splitlines()
    raw, inside = [], False
    for index, line in enumerate(lines):
        if not inside and line.startswith('msgid ""') and index + 1 < len(lines) and lines[index + 1].startswith("msgstr"):
            inside = True
            continue
        if inside:
            stripped = line.strip()
            if stripped.startswith("msgstr"):
                stripped = stripped[len("msgstr"):].strip()
            if not stripped.startswith('"'):
                break
            raw.append(ast.literal_eval(stripped))
    headers = {}
    for entry in "".join(raw).split("\n"):
        name, sep, value = entry.partition(":")
        if sep:
            headers[name.strip()] = value.strip()
    return headers


def write_catalog(path: Path, catalog: Catalog, custom: dict[str, str], language: str | None = None) -> None:
    """Write `catalog`, adding the custom header fields after the standard ones.

    `language` is written as is (Babel would turn `kmr` into `ku_TR`).
    """
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_previous=True, ignore_obsolete=True)
    text = buffer.getvalue().decode("utf-8")
    if language:
        text = re.sub(r'^"Language: [^"]*\\n"$', f'"Language: {language}\\\\n"', text, count=1, flags=re.M)
    extra = "".join(f'"{name}: {value}\\n"\n' for name, value in custom.items())
    marker = '"Generated-By:'
    text = text.replace(marker, extra + marker, 1) if marker in text else text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def custom_headers(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {name: value for name, value in read_headers(path).items() if name.startswith(CUSTOM_PREFIX)}
