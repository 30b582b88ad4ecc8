"""End-to-end throughput: adapter → dispatcher → database → outbox → a null sender.

N simulated people each hold a conversation of M messages (language choice, consent, menu,
help, numbers in several scripts...), sending the next message when the previous reply has been
delivered, as people do. Prints messages per second, p50/p99 latency (message accepted → first
reply handed to the sender) and peak RSS, and ends with one JSON line.

    python benchmarks/throughput.py --db sqlite
    python benchmarks/throughput.py --db postgres [--url postgresql+asyncpg://postgres@127.0.0.1/postgres]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.channels.base import Channel  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.core.messages import InboundMessage, OutboundMessage  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402

SCRIPT = [
    {"text": "hello"}, {"button": "lang:en"}, {"button": "consent:yes"}, {"text": "help"},
    {"text": "0"}, {"text": "٢"}, {"button": "lang:ar"}, {"text": "menu"}, {"text": "privacy"},
    {"text": "۰"}, {"text": "something I need"}, {"text": "language"},
]


class NullChannel(Channel):
    """Accepts every message at once and tells the benchmark when a reply left."""

    name = "bench"

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, tuple[float, asyncio.Event]] = {}
        self.latencies: list[float] = []
        self.sent = 0

    async def send(self, address: str, message: OutboundMessage) -> str | None:
        self.sent += 1
        started = self.waiting.pop(address, None)
        if started is not None:
            self.latencies.append(time.perf_counter() - started[0])
            started[1].set()
        return None


async def person(runtime: Runtime, channel: NullChannel, name: str, messages: int) -> None:
    for index in range(messages):
        step = SCRIPT[index % len(SCRIPT)]
        done = asyncio.Event()
        channel.waiting[name] = (time.perf_counter(), done)
        await runtime.receive(InboundMessage("bench", name, uuid.uuid4().hex, text=step.get("text", ""),
                                             button=step.get("button")))
        await asyncio.wait_for(done.wait(), 60)


async def fresh_postgres(url: str) -> str:
    import asyncpg

    admin = url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"rahnama_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    return url.rsplit("/", 1)[0] + "/" + name, name


async def drop_postgres(url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.close()


async def run(db: str, url: str | None, users: int, messages: int) -> dict[str, float | str | int]:
    cleanup = None
    if db == "postgres":
        admin = url or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        url, name = await fresh_postgres(admin)
        cleanup = (admin, name)
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    await upgrade(url)
    settings = load_settings(database_url=url, content_watch_seconds=0, worker_poll_seconds=0.05,
                             worker_batch=200, log_level="WARNING")
    channel = NullChannel()
    runtime = Runtime(settings, channels={"bench": channel})
    runtime.inbox.limit = asyncio.Semaphore(64)
    await runtime.start(handle=True, deliver=True, watch=False)
    # Warm up (imports, content, connection pools) before timing.
    await person(runtime, channel, "warm-up", 3)
    channel.latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(person(runtime, channel, f"user-{i}", messages) for i in range(users)))
    elapsed = time.perf_counter() - started
    await runtime.stop()
    if cleanup:
        await drop_postgres(*cleanup)
    latencies = sorted(channel.latencies)
    total = users * messages
    return {
        "db": db,
        "users": users,
        "messages": total,
        "msgs_per_s": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", help="PostgreSQL server URL (a fresh database is created and dropped)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    result = asyncio.run(run(args.db, args.url, args.users, args.messages))
    print(f"{result['db']}: {result['messages']} messages from {result['users']} people: "
          f"{result['msgs_per_s']} msg/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
          f"peak RSS {result['rss_mb']} MB")
    print(json.dumps({key: result[key] for key in ("db", "msgs_per_s", "p50_ms", "p99_ms", "rss_mb")}))


if __name__ == "__main__":
    main()
