"""The translators' workflow on gettext catalogs: extract, update, compile, coverage.

Two domains per language in `locales/<lang>/LC_MESSAGES/`:
  interface.po  strings from the code (`turn.t("...")`, `turn.tn(...)`, `N_("...")`)
  content.po    strings from content/ (service names, pages, labels, bot texts), with msgctxt

We write the `Plural-Forms` header ourselves: `pybabel init` writes a wrong Arabic formula
(forms 4 and 5 swapped against CLDR, python-babel#816) and a single form for Farsi and Turkish.
Every catalog we draft says so in its header until a native speaker has reviewed it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from bot.config import ROOT
from bot.content.i18n import DOMAINS, ENGLISH_NAMES, SOURCE_LANGUAGE, babel_locale
from bot.content.pofile import custom_headers, read_catalog, write_catalog

# Plural-Forms per language, checked against CLDR in tests/test_i18n.py. Index → CLDR category:
# ar: zero one two few many other; uk/ru: one few many; others: one other.
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "uk": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "fa": "nplurals=2; plural=(n > 1);",
    "fa_AF": "nplurals=2; plural=(n > 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "ti": "nplurals=2; plural=(n > 1);",
}
DEFAULT_PLURAL = "nplurals=2; plural=(n != 1);"
PLURAL_CATEGORIES = {"ar": ("zero", "one", "two", "few", "many", "other"), "uk": ("one", "few", "many"),
                     "ru": ("one", "few", "many")}
# Native digits shown in numbers, dates and times (phone numbers always stay 0-9 to be tappable).
DIGITS = {"fa": "arabext", "fa_AF": "arabext", "ps": "arabext", "ckb": "arab"}

REVIEW_HEADER = "X-Review-Status"
DIGITS_HEADER = "X-Rahnama-Digits"
NEEDS_REVIEW = "needs-review: drafted, to be checked by a native speaker"
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "tn": (1, 2), "N_": None}


def plural_forms(lang: str) -> str:
    return PLURAL_FORMS.get(lang, DEFAULT_PLURAL)


def po_path(locales: Path, lang: str, domain: str) -> Path:
    return locales / lang / "LC_MESSAGES" / f"{domain}.po"


def pot_path(locales: Path, domain: str) -> Path:
    return locales / f"{domain}.pot"


# -- extract ------------------------------------------------------------------------------------

def templates(content_dir: Path) -> dict[str, Catalog]:
    """The messages to translate: from the code, and from a content directory."""
    sources = {
        "interface": (ROOT / "bot", [("**.py", "python")]),
        "content": (content_dir, [("lexicon/**", "ignore"), ("locales/**", "ignore"), ("**.yaml", "rahnama_content")]),
    }
    result = {}
    for domain, (directory, method_map) in sources.items():
        template = Catalog(project="Rahnama", msgid_bugs_address="", charset="utf-8",
                           creation_date=datetime.now(timezone.utc))
        for filename, lineno, message, comments, context in extract_from_dir(
                directory, method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
            template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
        result[domain] = template
    return result


def extract(content_dir: Path, locales: Path) -> dict[str, int]:
    """Write `interface.pot` (from bot/) and `content.pot` (from the content directory)."""
    counts = {}
    for domain, template in templates(content_dir).items():
        locales.mkdir(parents=True, exist_ok=True)
        with pot_path(locales, domain).open("wb") as handle:
            write_po(handle, template, width=100, omit_header=False, sort_output=False)
        counts[domain] = len(template)
    return counts


# -- update -------------------------------------------------------------------------------------

def new_catalog(lang: str, domain: str) -> Catalog:
    name = ENGLISH_NAMES[lang]
    catalog = Catalog(locale=babel_locale(lang), domain=domain, project="Rahnama", version="1",
                      charset="utf-8", msgid_bugs_address="", language_team=f"{name} <{lang}>")
    catalog.header_comment = (
        f"# {name} ({lang}) translations of Rahnama's {domain} texts.\n"
        "# Drafted with care but not yet checked by a native speaker: see X-Review-Status.\n"
        "# A reviewer who has checked every entry sets it to \"reviewed by NAME, DATE\".")
    return catalog


_read = read_catalog


def _set_headers(catalog: Catalog, lang: str, custom: dict[str, str]) -> dict[str, str]:
    """Our plural rule, whatever Babel or a PO editor wrote; custom fields kept or defaulted."""
    catalog.fuzzy = False
    catalog.mime_headers = [("Plural-Forms", plural_forms(lang))]
    custom = dict(custom)
    custom.setdefault(REVIEW_HEADER, NEEDS_REVIEW)
    if lang in DIGITS:
        custom.setdefault(DIGITS_HEADER, DIGITS[lang])
    return custom


def update(locales: Path, languages: list[str]) -> dict[str, dict[str, int]]:
    """Merge the templates into every language's catalogs (creating missing ones).

    A changed source text keeps its old translation as fuzzy, with the previous English shown
    (`#| msgid`): content strings are matched by their msgctxt, interface strings by Babel's
    similarity matching. Fuzzy entries are never shown to people.
    """
    report: dict[str, dict[str, int]] = {}
    for domain in DOMAINS:
        template = _read(pot_path(locales, domain))
        for lang in languages:
            if lang == SOURCE_LANGUAGE:
                continue  # English is the source language of the code and the content
            path = po_path(locales, lang, domain)
            catalog = _read(path) if path.exists() else new_catalog(lang, domain)
            before = {(m.context, m.id): m for m in catalog if m.id}
            by_context = {m.context: m for m in before.values() if m.context}
            catalog.update(template, no_fuzzy_matching=domain == "content", update_header_comment=False)
            _carry_context_matches(catalog, by_context)
            write_catalog(path, catalog, _set_headers(catalog, lang, custom_headers(path)), language=lang)
            report.setdefault(lang, {})[domain] = len(catalog)
    return report


def _carry_context_matches(catalog: Catalog, by_context: dict[str, Message]) -> None:
    """A content string whose English changed: keep the old translation, marked fuzzy."""
    for message in catalog:
        if not message.id or not message.context or message.string:
            continue
        old = by_context.get(message.context)
        if old is not None and old.string and old.id != message.id:
            message.string = old.string
            message.flags.add("fuzzy")
            message.previous_id = [old.id] if isinstance(old.id, str) else list(old.id)


# -- compile ------------------------------------------------------------------------------------

def compile_all(locales: Path, languages: list[str]) -> int:
    """Write .mo files next to the .po files (for tools that want them; the bot reads .po)."""
    written = 0
    for lang in languages:
        for domain in DOMAINS:
            path = po_path(locales, lang, domain)
            if not path.exists():
                continue
            catalog = _read(path)
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            path.with_suffix(".mo").write_bytes(buffer.getvalue())
            written += 1
    return written


# -- coverage -----------------------------------------------------------------------------------

@dataclass
class Coverage:
    lang: str
    domain: str
    total: int
    translated: int
    fuzzy: int
    reviewed: bool
    exists: bool = True

    @property
    def missing(self) -> int:
        return self.total - self.translated - self.fuzzy

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def coverage(locales: Path, languages: list[str], content_dir: Path | None = None) -> list[Coverage]:
    """Translated / fuzzy / missing per language and domain.

    Measured against what the code and the content directory hold *now* (not the last
    extracted .pot), so an edited or imported directory is never reported as translated.
    """
    rows = []
    current = templates(content_dir) if content_dir is not None else {}
    for domain in DOMAINS:
        template_path = pot_path(locales, domain)
        template = current.get(domain) or (_read(template_path) if template_path.exists() else Catalog())
        keys = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id}
        for lang in languages:
            if lang == SOURCE_LANGUAGE:
                continue
            path = po_path(locales, lang, domain)
            if not path.exists():
                rows.append(Coverage(lang, domain, len(keys), 0, 0, False, exists=False))
                continue
            catalog = _read(path)
            translated = fuzzy = 0
            for message in catalog:
                if not message.id:
                    continue
                key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
                if key not in keys:
                    continue
                done = all(message.string) if isinstance(message.string, tuple) else bool(message.string)
                if done and message.fuzzy:
                    fuzzy += 1
                elif done:
                    translated += 1
            status = custom_headers(path).get(REVIEW_HEADER, "")
            rows.append(Coverage(lang, domain, len(keys), translated, fuzzy, status.startswith("reviewed")))
    return rows
