"""Translations and locale-aware formatting.

Interface strings (from code) and content strings (from `content/`) are gettext messages whose
msgid is the English source text; content strings carry a msgctxt such as
`service/asylum-legal-advice/name`. Catalogs are read straight from the `.po` files, so a
translator's change shows after a reload without a compile step. Fuzzy (stale) and empty entries
are never used: the person gets the next language in their fallback chain, ending in English.
"""
from __future__ import annotations

import gettext
import logging
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.units import format_unit

from bot.content import bidi
from bot.content.pofile import custom_headers, read_catalog

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "fa", "fa_AF", "ps", "ur", "ckb"})
DOMAINS = ("interface", "content")

# Where a missing translation goes before English. Ukrainian deliberately does not fall back to
# Russian, nor Kurdish to Turkish or Arabic: a wrong language can hurt more than English.
FALLBACKS: dict[str, tuple[str, ...]] = {
    "fa_AF": ("fa",),
    "fa": ("fa_AF",),
}

NATIVE_DIGITS = {
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
}

ENGLISH_NAMES = {
    "en": "English", "ar": "Arabic", "fa": "Farsi (Iran)", "fa_AF": "Dari", "ps": "Pashto", "ur": "Urdu",
    "uk": "Ukrainian", "ru": "Russian", "tr": "Turkish", "ckb": "Central Kurdish (Sorani)",
    "kmr": "Kurmanji Kurdish", "so": "Somali", "ti": "Tigrinya", "fr": "French", "bg": "Bulgarian",
}

# Names shown in the language menu, each in its own language.
NATIVE_NAMES = {
    "en": "English", "ar": "العربية", "fa": "فارسی", "fa_AF": "دری", "ps": "پښتو", "ur": "اردو",
    "uk": "Українська", "ru": "Русский", "tr": "Türkçe", "ckb": "کوردیی ناوەندی (سۆرانی)",
    "kmr": "Kurdî (Kurmancî)", "so": "Soomaali", "ti": "ትግርኛ", "fr": "Français", "bg": "Български",
}


def N_(text: str) -> str:
    """Mark a string for translation where it is defined; it is translated when shown."""
    return text


def fallback_chain(lang: str, default: str = SOURCE_LANGUAGE) -> tuple[str, ...]:
    """`fa_AF` → (`fa_AF`, `fa`, default, `en`) without repeats."""
    chain: list[str] = []
    for code in (lang, *FALLBACKS.get(lang, ()), default, SOURCE_LANGUAGE):
        if code not in chain:
            chain.append(code)
    return tuple(chain)


@lru_cache(maxsize=64)
def babel_locale(lang: str) -> Locale:
    """Babel's locale for one of our codes (`kmr` resolves to Kurmanji, `fa_AF` is Dari)."""
    return Locale.parse(lang)


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a message (format specs ignored)."""
    names = set()
    try:
        for _literal, name, _spec, _conv in string.Formatter().parse(text):
            if name is not None:
                names.add(name)
    except ValueError:
        names.add("<malformed>")
    return names


@dataclass
class CatalogData:
    """One language's usable messages, merged from every domain."""

    lang: str
    messages: dict[tuple[str | None, str], str | tuple[str, ...]] = field(default_factory=dict)
    plural: Callable[[int], int] = staticmethod(lambda n: int(n != 1))  # type: ignore[assignment]
    digits: str = "latn"
    headers: dict[str, str] = field(default_factory=dict)


def load_catalogs(locales_dirs: list[Path], languages: list[str]) -> dict[str, CatalogData]:
    """Read `<dir>/<lang>/LC_MESSAGES/<domain>.po` for every language; later dirs add to earlier."""
    result: dict[str, CatalogData] = {}
    for lang in languages:
        data = CatalogData(lang)
        for directory in locales_dirs:
            for domain in DOMAINS:
                path = directory / lang / "LC_MESSAGES" / f"{domain}.po"
                if path.exists():
                    _merge(data, read_catalog(path), custom_headers(path))
        result[lang] = data
    return result


def _merge(data: CatalogData, catalog: Any, custom: dict[str, str]) -> None:
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key_id = message.id[0] if isinstance(message.id, tuple) else message.id
        key = (message.context, key_id)
        if key in data.messages:
            continue
        if isinstance(message.string, tuple):
            if all(message.string):
                data.messages[key] = tuple(message.string)
        elif message.string:
            data.messages[key] = message.string
    if not data.headers:
        data.headers = {**dict(catalog.mime_headers), **custom}
        data.plural = gettext.c2py(catalog.plural_expr)
        data.digits = custom.get("X-Rahnama-Digits", "latn").strip() or "latn"


class Translator:
    """Everything a handler needs to speak one person's language."""

    def __init__(self, lang: str, catalogs: dict[str, CatalogData], default: str = SOURCE_LANGUAGE) -> None:
        self.lang = lang
        self.rtl = lang in RTL_LANGUAGES
        self.chain = [catalogs[code] for code in fallback_chain(lang, default) if code in catalogs]
        own = catalogs.get(lang)
        self.digits = own.digits if own else "latn"
        self.locale = babel_locale(lang)

    # -- messages ------------------------------------------------------------------------
    def lookup(self, msgid: str, context: str | None = None) -> str:
        """The best available translation of `msgid` (the English source if none)."""
        key = (context, msgid)
        for catalog in self.chain:
            found = catalog.messages.get(key)
            if isinstance(found, str):
                return found
        return msgid

    def t(self, msgid: str, context: str | None = None, /, **values: Any) -> str:
        """Translate and fill `{placeholders}`, isolating values for bidi-safe display."""
        return self._fill(msgid, self.lookup(msgid, context), values)

    def tn(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """Plural-aware translation; `{n}` is formatted for the locale."""
        values.setdefault("n", self.number(n))
        for catalog in self.chain:
            forms = catalog.messages.get((None, singular))
            if isinstance(forms, tuple):
                index = catalog.plural(n)
                if 0 <= index < len(forms):
                    return self._fill(singular, forms[index], values)
        return self._fill(singular, singular if n == 1 else plural, values)

    def _fill(self, msgid: str, text: str, values: dict[str, Any]) -> str:
        if not values:
            return text
        safe = {key: bidi.embed(str(value), self.rtl) for key, value in values.items()}
        try:
            return text.format_map(safe)
        except (KeyError, IndexError, ValueError):
            # A broken translation must never break a reply: use the English source.
            log.warning("placeholder mismatch in translation", extra={"lang": self.lang})
            return msgid.format_map(safe)

    # -- formatting ----------------------------------------------------------------------
    def native(self, text: str) -> str:
        """ASCII digits of locale-formatted output → this catalog's digits."""
        table = NATIVE_DIGITS.get(self.digits)
        return text.translate(str.maketrans("0123456789", table)) if table else text

    def number(self, value: float, digits_after: int = 1) -> str:
        system = "latn" if self.digits == "latn" else "default"
        pattern = None if digits_after else "#,##0"
        text = format_decimal(round(value, digits_after), format=pattern, locale=self.locale,
                              numbering_system=system)
        return self.native(text)

    def distance(self, km: float) -> str:
        system = "latn" if self.digits == "latn" else "default"
        if km < 1:
            value, unit = round(km * 1000, -1) or 10, "length-meter"
        else:
            value, unit = round(km, 1), "length-kilometer"
        return self.native(format_unit(value, unit, length="short", locale=self.locale, numbering_system=system))

    def date(self, value: date | datetime, fmt: str = "long") -> str:
        return self.native(format_date(value, fmt, locale=self.locale))

    def time(self, value: time | datetime) -> str:
        return self.native(format_time(value, "short", locale=self.locale))

    def weekday(self, index: int) -> str:
        """Monday is 0, as in `date.weekday()`."""
        return self.locale.days["format"]["wide"][index]
