"""`rahnama content ...` (validate, reload) and `rahnama i18n ...` (the translators' workflow)."""
from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.config import Settings


def add_parser(sub: Any) -> None:
    directory = argparse.ArgumentParser(add_help=False)
    directory.add_argument("--content", help="content directory (default: RAHNAMA_CONTENT_DIR)")
    p = sub.add_parser("content", help="validate, reload, import and export content")
    csub = p.add_subparsers(dest="content_command", required=True)
    csub.add_parser("check", parents=[directory], help="validate content and translations, print coverage")
    csub.add_parser("reload", parents=[directory], help="ask running processes to reload content now")
    imp = csub.add_parser("import-hsds", help="import an Open Referral HSDS 3.0 directory (JSON or CSV datapackage)")
    imp.add_argument("source", help="HSDS JSON file, or a folder with the CSV tables")
    imp.add_argument("--out", required=True, help="content directory to write")
    imp.add_argument("--mapping", help="YAML mapping of taxonomy term codes/names to our category ids")
    exp = csub.add_parser("export-hsds", parents=[directory], help="export the directory as HSDS 3.0 JSON")
    exp.add_argument("--out", help="file to write (default: standard output)")

    p = sub.add_parser("i18n", help="gettext catalogs: extract, update, compile")
    isub = p.add_subparsers(dest="i18n_command", required=True)
    isub.add_parser("extract", parents=[directory], help="write locales/interface.pot and locales/content.pot")
    isub.add_parser("update", help="merge the templates into every language's .po (changed texts become fuzzy)")
    isub.add_parser("compile", help="write .mo files")


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.content_command == "check":
        from bot.content.check import run_check

        return run_check(settings)
    if args.content_command == "reload":
        return asyncio.run(_reload(settings))
    if args.content_command == "import-hsds":
        return _import(args)
    if args.content_command == "export-hsds":
        return _export(args, settings)
    return 2


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.content.hsds import import_hsds

    try:
        report = import_hsds(Path(args.source), Path(args.out), Path(args.mapping) if args.mapping else None)
    except (OSError, ValueError) as exc:
        print(f"rahnama: cannot read {args.source}: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    print(f"Written to {args.out}. Try it: rahnama content check --content {args.out}")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from bot.content.hsds import export_hsds
    from bot.content.store import load

    version = load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
    text = json.dumps(export_hsds(version), ensure_ascii=False, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"exported {len(version.services)} services to {args.out}")
    else:
        print(text)
    return 0


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
