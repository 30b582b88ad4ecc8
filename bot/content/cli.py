"""`rahnama content ...` (validate, reload) and `rahnama i18n ...` (the translators' workflow)."""
from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.config import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("content", help="validate and reload content")
    p.add_argument("--content", help="content directory (default: RAHNAMA_CONTENT_DIR)")
    csub = p.add_subparsers(dest="content_command", required=True)
    csub.add_parser("check", help="validate content and translations, print coverage")
    csub.add_parser("reload", help="ask running processes to reload content now")

    p = sub.add_parser("i18n", help="gettext catalogs: extract, update, compile")
    p.add_argument("--content", help="content directory (default: RAHNAMA_CONTENT_DIR)")
    isub = p.add_subparsers(dest="i18n_command", required=True)
    isub.add_parser("extract", help="write locales/interface.pot and locales/content.pot")
    isub.add_parser("update", help="merge the templates into every language's .po (changed texts become fuzzy)")
    isub.add_parser("compile", help="write .mo files")


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.content_command == "check":
        from bot.content.check import run_check

        return run_check(settings)
    if args.content_command == "reload":
        return asyncio.run(_reload(settings))
    return 2


def i18n(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content import catalogs

    locales = settings.locales_dir
    if args.i18n_command == "extract":
        counts = catalogs.extract(settings.content_dir, locales)
        print(", ".join(f"{domain}.pot: {n} messages" for domain, n in counts.items()))
    elif args.i18n_command == "update":
        report = catalogs.update(locales, settings.languages)
        print(f"updated {sum(len(d) for d in report.values())} catalogs in {locales}")
    elif args.i18n_command == "compile":
        print(f"compiled {catalogs.compile_all(locales, settings.languages)} catalogs")
    return 0


async def _reload(settings: Settings) -> int:
    from bot.content.store import ContentError, load
    from bot.runtime import request_reload

    try:
        load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
    except ContentError as exc:
        print(f"Not reloaded: {exc}", file=sys.stderr)
        return 1
    await request_reload(settings.database_url)
    print("Reload requested: running processes pick it up within a few seconds.")
    return 0
