"""Search speed on a large directory: 10,000 generated services, the real 14-language lexicons.

Generates a content directory (names and descriptions drawn from a mixed vocabulary, every
category, random locations and weekly hours), builds the index, then times queries: the
labelled benchmark queries plus typo'd variants of them. Prints p50/p99 latency per query, the
index build time (and, apart, the time to read and validate the YAML), peak RSS, and ends
with one JSON line.

    python benchmarks/search_speed.py [--services 10000] [--queries 3000]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import ROOT, SUPPORTED_LANGUAGES  # noqa: E402
from bot.content.schema import CATEGORY_IDS  # noqa: E402
from bot.content.store import load  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "data" / "search_queries.jsonl"
WORDS = ("advice help centre free support legal clinic family children women youth job work course "
         "language evening community health dental food parcel shelter night winter housing rent school "
         "homework training interpreter benefits registration document card bus transport clothes store "
         "counselling trauma group sport disability access mobile office city district point service "
         "project network association foundation house").split()


def generate(directory: Path, count: int, rng: random.Random) -> None:
    for name in ("taxonomy.yaml", "texts.yaml", "city.yaml", "emergency.yaml", "areas.yaml"):
        shutil.copy(ROOT / "content" / name, directory / name)
    shutil.copytree(ROOT / "content" / "lexicon", directory / "lexicon")
    syllables = ["ka", "lo", "mi", "ne", "ra", "so", "tu", "vi", "za", "de", "bo", "pa", "ri", "gu", "fe"]
    invented = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(4000)]
    organisations = [{"id": f"org-{i}", "name": f"{rng.choice(invented).title()} {rng.choice(WORDS)} (sample)"}
                     for i in range(max(10, count // 20))]
    (directory / "organisations.yaml").write_text(yaml.safe_dump(organisations, allow_unicode=True))
    areas = [area["id"] for area in yaml.safe_load((directory / "areas.yaml").read_text())]
    services = []
    for i in range(count):
        words = rng.sample(WORDS, 3) + [rng.choice(invented)]
        services.append({
            "id": f"svc-{i}", "organisation": rng.choice(organisations)["id"],
            "name": " ".join(words).capitalize()[:70],
            "description": " ".join(rng.choice(WORDS + invented) for _ in range(rng.randint(10, 30))).capitalize(),
            "categories": rng.sample(CATEGORY_IDS, rng.randint(1, 3)),
            "area": rng.choice(areas),
            "location": {"lat": round(42.62 + rng.random() * 0.13, 5), "lon": round(23.22 + rng.random() * 0.23, 5)},
            "hours": {day: [f"{rng.randint(7, 10):02d}:00-{rng.randint(15, 20):02d}:00"]
                      for day in ("mon", "tue", "wed", "thu", "fri") if rng.random() > 0.1},
            "languages": rng.sample(list(SUPPORTED_LANGUAGES), 3),
        })
    (directory / "services").mkdir()
    (directory / "services" / "generated.yaml").write_text(yaml.safe_dump(services, allow_unicode=True))


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp())
    try:
        generate(workdir, args.services, rng)
        started = time.perf_counter()
        version = load(workdir, workdir / "no-locales", list(SUPPORTED_LANGUAGES))
        loaded = time.perf_counter()
        index = version.search
        build_s = time.perf_counter() - loaded
        load_s = loaded - started
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    labelled = [json.loads(line) for line in QUERIES.read_text().splitlines() if line.strip()]
    queries = []
    while len(queries) < args.queries:
        item = rng.choice(labelled)
        text = item["query"] if rng.random() < 0.5 else " ".join(typo(w, rng) for w in item["query"].split())
        queries.append((text, item["lang"]))
    for text, lang in queries[:50]:  # warm-up
        index.search(text, lang)
    latencies = []
    for text, lang in queries:
        started = time.perf_counter()
        index.search(text, lang, limit=5)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    result = {
        "services": len(version.services),
        "queries": len(queries),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
        "build_s": round(build_s, 2),
        "load_s": round(load_s, 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"{result['services']} services, {result['queries']} queries: p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms; index built in {result['build_s']} s (after {result['load_s']} s reading "
          f"and validating the YAML); peak RSS {result['rss_mb']} MB")
    print(json.dumps({key: result[key] for key in ("p50_ms", "p99_ms", "build_s", "rss_mb")}))


if __name__ == "__main__":
    main()
