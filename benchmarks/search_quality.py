"""Search quality: top-3 hit rate on labelled queries, next to SQLite FTS5 on the same data.

benchmarks/data/search_queries.jsonl holds realistic queries in every shipped language (typos,
dialect words, keyboard variants, Latin transliterations), each labelled with the categories a
correct answer belongs to; it was written without looking at the lexicons the search uses. A
query is a hit when any of the first three results is in one of its categories.

The baselines are what a team would otherwise pick: SQLite FTS5 (unicode61, diacritics removed,
BM25) over each service's text in every translation plus the category labels; and the same with
the lexicon synonyms of the service's categories appended to each document.

    python benchmarks/search_quality.py [--content DIR] [--show-misses]
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import ROOT, SUPPORTED_LANGUAGES  # noqa: E402
from bot.content.store import ContentVersion, load  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "data" / "search_queries.jsonl"
TOKEN = re.compile(r"\w+", re.UNICODE)


def rahnama(version: ContentVersion, query: str, lang: str) -> list[tuple[str, ...]]:
    return [hit.service.categories for hit in version.search.search(query, lang, limit=3).hits]


def document(version: ContentVersion, service_id: str, with_synonyms: bool) -> str:
    service = version.services[service_id]
    organisation = version.organisations[service.organisation]
    parts = list(service.keywords)
    for lang in version.catalog_languages:
        parts += [version.field(lang, "service", service, name) for name in ("name", "description", "eligibility")]
        parts.append(version.field(lang, "organisation", organisation, "name"))
        parts += [version.category_label(lang, c) for c in service.categories]
    if with_synonyms:
        for lexicon in version.lexicons.values():
            for category in service.categories:
                parts += lexicon.categories.get(category, ())
    return " ".join(parts)


class Fts5:
    def __init__(self, version: ContentVersion, with_synonyms: bool) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(service_id UNINDEXED, body, "
                        "tokenize='unicode61 remove_diacritics 2')")
        self.db.executemany("INSERT INTO docs VALUES (?, ?)",
                            [(sid, document(version, sid, with_synonyms)) for sid in version.services])
        self.version = version

    def __call__(self, query: str, lang: str) -> list[tuple[str, ...]]:
        words = TOKEN.findall(query)
        if not words:
            return []
        expression = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
        rows = self.db.execute("SELECT service_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 3",
                               (expression,)).fetchall()
        return [self.version.services[row[0]].categories for row in rows]


def evaluate(engine, queries: list[dict]) -> tuple[Counter, Counter, list[dict]]:
    hits, totals, misses = Counter(), Counter(), []
    for item in queries:
        found = engine(item["query"], item["lang"])
        hit = any(set(categories) & set(item["expect"]) for categories in found)
        totals[item["lang"]] += 1
        hits[item["lang"]] += hit
        if not hit:
            misses.append(item)
    return hits, totals, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", default=str(ROOT / "content"))
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    version = load(Path(args.content), ROOT / "locales", list(SUPPORTED_LANGUAGES))
    queries = [json.loads(line) for line in QUERIES.read_text().splitlines() if line.strip()]
    engines = {
        "rahnama": lambda q, lang: rahnama(version, q, lang),
        "fts5": Fts5(version, with_synonyms=False),
        "fts5+synonyms": Fts5(version, with_synonyms=True),
    }
    results = {name: evaluate(engine, queries) for name, engine in engines.items()}
    print(f"{len(queries)} labelled queries, top-3 hit rate (a result in an expected category)\n")
    print(f"{'language':<9}" + "".join(f"{name:>16}" for name in engines))
    languages = sorted({q["lang"] for q in queries}, key=lambda code: (code != "en", code))
    for lang in languages:
        row = "".join(f"{hits[lang] / totals[lang]:>15.1%} " for hits, totals, _ in results.values())
        print(f"{lang:<9}{row}  ({results['rahnama'][1][lang]} queries)")
    overall = {name: sum(h.values()) / sum(t.values()) for name, (h, t, _) in results.items()}
    print(f"{'overall':<9}" + "".join(f"{value:>15.1%} " for value in overall.values()))
    by_kind_hits, by_kind_total = Counter(), Counter()
    missed = {id(item) for item in results["rahnama"][2]}
    for item in queries:
        by_kind_total[item["kind"]] += 1
        by_kind_hits[item["kind"]] += id(item) not in missed
    print("\nrahnama by kind: " + ", ".join(f"{kind} {by_kind_hits[kind]}/{by_kind_total[kind]}"
                                           for kind in sorted(by_kind_total)))
    if args.show_misses:
        for item in results["rahnama"][2]:
            print(f"  miss [{item['lang']}] {item['query']!r} expected {item['expect']}")
    hits, totals, _ = results["rahnama"]
    print(json.dumps({
        "queries": len(queries),
        "top3": round(overall["rahnama"], 4),
        "min_language": round(min(hits[lang] / totals[lang] for lang in totals), 4),
        "fts5": round(overall["fts5"], 4),
        "fts5_synonyms": round(overall["fts5+synonyms"], 4),
    }))


if __name__ == "__main__":
    main()
