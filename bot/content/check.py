"""`rahnama content check`: is the content valid and how complete is each translation?"""
from __future__ import annotations

import sys

from bot.config import Settings
from bot.content.store import ContentError, load


def run_check(settings: Settings) -> int:
    try:
        version = load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {len(version.services)} services, {len(version.pages)} pages, "
          f"{len(version.categories)} categories, {len(version.lexicons)} lexicons")
    return 0
