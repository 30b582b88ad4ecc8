"""`rahnama content ...`: validate, reload."""
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


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.content_command == "check":
        from bot.content.check import run_check

        return run_check(settings)
    if args.content_command == "reload":
        return asyncio.run(_reload(settings))
    return 2


async def _reload(settings: Settings) -> int:
    from bot.content.store import ContentError, load
    from bot.runtime import Runtime

    try:
        load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
    except ContentError as exc:
        print(f"Not reloaded: {exc}", file=sys.stderr)
        return 1
    runtime = Runtime(settings, channels={})
    try:
        await runtime.request_reload()
    finally:
        await runtime.db.dispose()
    print("Reload requested: running processes pick it up within a few seconds.")
    return 0
