"""`rahnama search`: the bot's search from a terminal or a script (one JSON line per query)."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from bot.config import Settings
from bot.content.search import Results
from bot.content.store import ContentError, ContentVersion, load


def add_parser(sub: Any) -> None:
    p = sub.add_parser("search", help="search the service directory like the bot does")
    p.add_argument("query", nargs="?", help="what a person would type")
    p.add_argument("--lang", default="en", help="the person's language (default en)")
    p.add_argument("--near", help="LAT,LON: order by distance from here")
    p.add_argument("--open-now", action="store_true", help="only places open now")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batch", action="store_true", help='read JSON lines {"query": ..., "lang": ...} from stdin')
    p.add_argument("--content", help="content directory (default: RAHNAMA_CONTENT_DIR)")


def _point(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    lat, _, lon = text.partition(",")
    return float(lat), float(lon)


def as_json(query: str, lang: str, results: Results) -> dict[str, Any]:
    return {"query": query, "lang": lang, "results": [
        {"service_id": hit.service.id, "name": hit.service.name, "categories": list(hit.service.categories),
         "score": hit.score, "distance_km": round(hit.distance_km, 3) if hit.distance_km is not None else None}
        for hit in results.hits]}


def run_query(version: ContentVersion, query: str, lang: str, near: tuple[float, float] | None,
              open_now: bool, limit: int) -> Results:
    return version.search.search(query, lang, near=near, open_now=open_now,
                                 now=datetime.now(timezone.utc), limit=limit)


def main(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    try:
        version = load(settings.content_dir, settings.locales_dir, settings.languages,
                       settings.default_language, settings.timezone)
    except ContentError as exc:
        print(f"rahnama: {exc}", file=sys.stderr)
        return 1
    near = _point(args.near)
    if args.batch:
        for line in sys.stdin:
            if not line.strip():
                continue
            item = json.loads(line)
            query, lang = item["query"], item.get("lang", args.lang)
            results = run_query(version, query, lang, near, args.open_now, args.limit)
            print(json.dumps(as_json(query, lang, results), ensure_ascii=False), file=out, flush=True)
        return 0
    if not args.query:
        print("rahnama search: give a QUERY or --batch", file=sys.stderr)
        return 2
    results = run_query(version, args.query, args.lang, near, args.open_now, args.limit)
    if args.json:
        print(json.dumps(as_json(args.query, args.lang, results), ensure_ascii=False, indent=2), file=out)
        return 0
    if not results.hits:
        print("nothing found", file=out)
    for rank, hit in enumerate(results.hits, 1):
        distance = f"  {hit.distance_km:.1f} km" if hit.distance_km is not None else ""
        print(f"{rank}. {hit.service.name}  [{', '.join(hit.service.categories)}]  score {hit.score}{distance}", file=out)
    return 0
