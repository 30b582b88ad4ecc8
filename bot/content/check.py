"""`rahnama content check`: is everything valid, and how complete is each translation?

Errors (exit status 1): content that does not load (schema, broken references), a translation
that drops or changes a `{placeholder}`, unbalanced bidi controls, a text longer than Telegram's
4,096 characters. Warnings: texts over WhatsApp's 1,600 characters (they are split), menu labels
over 24 characters (WhatsApp cuts list rows), RTL translations without RTL letters, lexicon
categories with few words, services not checked for six months.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from babel.messages.pofile import read_po

from bot.config import Settings
from bot.content import bidi
from bot.content.catalogs import Coverage, coverage, po_path
from bot.content.i18n import DOMAINS, RTL_LANGUAGES, placeholders
from bot.content.schema import CATEGORY_IDS
from bot.content.store import ContentError, ContentVersion, load

TELEGRAM_LIMIT = 4096
WHATSAPP_LIMIT = 1600
LIST_ROW_LIMIT = 24
STALE_AFTER = timedelta(days=183)
_OPEN = set(bidi.LRI + bidi.RLI + bidi.FSI + "\u202a\u202b\u202d\u202e")
_CLOSE = {bidi.PDI: set(bidi.LRI + bidi.RLI + bidi.FSI), "\u202c": set("\u202a\u202b\u202d\u202e")}


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)


def balanced(text: str) -> bool:
    """Every isolate/embedding opened is closed, in order."""
    stack: list[str] = []
    for ch in text:
        if ch in _OPEN:
            stack.append(ch)
        elif ch in _CLOSE:
            if not stack or stack[-1] not in _CLOSE[ch]:
                return False
            stack.pop()
    return not stack


def placeholders_ok(source: str, translated: str, plural: bool = False) -> bool:
    """Same `{placeholders}`; a plural form may leave out {n} ("one result", "لا نتائج")."""
    expected, found = placeholders(source), placeholders(translated)
    if plural:
        return found <= expected and expected - found <= {"n"}
    return found == expected


def check_translation(report: Report, where: str, lang: str, source: str, translated: str, plural: bool = False) -> None:
    if not placeholders_ok(source, translated, plural):
        report.error(f"{where}: placeholders {sorted(placeholders(translated))} should be {sorted(placeholders(source))}")
    if not balanced(translated):
        report.error(f"{where}: unbalanced bidi control characters")
    if lang in RTL_LANGUAGES and len(translated) > 12 and not bidi.has_rtl(translated):
        report.warn(f"{where}: no right-to-left letters (left untranslated?)")
    check_length(report, where, translated)


def check_length(report: Report, where: str, text: str) -> None:
    if len(text) > TELEGRAM_LIMIT:
        report.error(f"{where}: {len(text)} characters, over Telegram's {TELEGRAM_LIMIT}")
    elif len(text) > WHATSAPP_LIMIT:
        report.warn(f"{where}: {len(text)} characters, WhatsApp will receive it in parts")


def check_catalogs(report: Report, locales: Path, languages: list[str]) -> None:
    for lang in languages:
        for domain in DOMAINS:
            path = po_path(locales, lang, domain)
            if not path.exists():
                continue
            with path.open("rb") as handle:
                catalog = read_po(handle, abort_invalid=False)
            for message in catalog:
                if not message.id or not message.string:
                    continue
                sources = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                where = f"{lang}/{domain}.po:{message.lineno} ({message.context or sources[0][:40]!r})"
                for translated in strings:
                    if translated:
                        check_translation(report, where, lang, sources[-1], translated, plural=len(sources) > 1)
                if message.context and message.context.startswith("category/") and len(strings[0]) > LIST_ROW_LIMIT:
                    report.warn(f"{where}: category label over {LIST_ROW_LIMIT} characters (cut in WhatsApp lists)")


def check_content(report: Report, version: ContentVersion, today: date) -> None:
    for text_id, text in version.texts.items():
        check_length(report, f"texts.yaml:{text_id}", text)
    for page in version.pages.values():
        check_length(report, f"pages/{page.id}", page.body)
    for service in version.services.values():
        if service.checked is None or today - service.checked > STALE_AFTER:
            report.warn(f"service {service.id}: information last checked {service.checked or 'never'}")
    for lang, lexicon in sorted(version.lexicons.items()):
        missing = [c for c in CATEGORY_IDS if c not in lexicon.categories]
        if missing:
            report.warn(f"lexicon/{lang}.yaml: no words for {', '.join(missing)}")
        thin = [c for c, words in lexicon.categories.items() if len(words) < 5]
        if thin:
            report.warn(f"lexicon/{lang}.yaml: fewer than 5 words for {', '.join(thin)}")


def run(settings: Settings, today: date | None = None) -> tuple[Report, ContentVersion | None]:
    report = Report()
    try:
        version = load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
    except ContentError as exc:
        report.error(str(exc))
        return report, None
    check_content(report, version, today or date.today())
    check_catalogs(report, settings.locales_dir, settings.languages)
    report.coverage = coverage(settings.locales_dir, settings.languages, settings.content_dir)
    return report, version


def print_report(report: Report, version: ContentVersion | None, out: TextIO = sys.stdout) -> None:
    if version is not None:
        print(f"{len(version.services)} services, {len(version.organisations)} organisations, "
              f"{len(version.pages)} pages, {len(version.categories)} categories, "
              f"{len(version.lexicons)} lexicons", file=out)
    if report.coverage:
        print(f"\n{'language':<9}{'catalog':<11}{'translated':>11}{'fuzzy':>7}{'missing':>9}{'done':>7}  reviewed",
              file=out)
        for row in report.coverage:
            reviewed = "yes" if row.reviewed else ("no catalog" if not row.exists else "no — needs a native speaker")
            print(f"{row.lang:<9}{row.domain:<11}{row.translated:>11}{row.fuzzy:>7}{row.missing:>9}"
                  f"{row.percent:>6.0f}%  {reviewed}", file=out)
    for warning in report.warnings:
        print(f"warning: {warning}", file=out)
    for error in report.errors:
        print(f"error: {error}", file=out)
    print(f"\n{len(report.errors)} error(s), {len(report.warnings)} warning(s)", file=out)


def run_check(settings: Settings) -> int:
    report, version = run(settings)
    print_report(report, version)
    return 1 if report.errors else 0
