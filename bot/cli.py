"""The `rahnama` command line."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import logs
from bot.config import ConfigError, Settings, load_settings

Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        COMMANDS[name] = func
        return func
    return register


# -- serving ------------------------------------------------------------------------------------

def _serve(settings: Settings, host: str, port: int, *, deliver: bool, migrate: bool) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.runtime import Runtime
    from bot.storage.migrate import upgrade

    if migrate:
        asyncio.run(upgrade(settings.database_url))
    app = create_app(Runtime(settings), deliver=deliver)
    print(f"Rahnama is listening on http://{host}:{port}/", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=settings.log_personal_data,
                proxy_headers=False, timeout_graceful_shutdown=10)
    return 0


@command("run")
def run(args: argparse.Namespace, settings: Settings) -> int:
    """All in one process, for a laptop or a small server: migrate, serve, deliver."""
    return _serve(settings, args.host or settings.host, args.port or settings.port, deliver=True, migrate=True)


@command("serve")
def serve(args: argparse.Namespace, settings: Settings) -> int:
    """The web process: webhooks, web chat, dashboard (deliveries are the worker's job)."""
    port = args.port or int(os.environ.get("PORT", settings.port))
    host = args.host or ("0.0.0.0" if "PORT" in os.environ else settings.host)
    return _serve(settings, host, port, deliver=args.with_worker, migrate=False)


@command("worker")
def worker(args: argparse.Namespace, settings: Settings) -> int:
    """The delivery worker: outbox, inbox sweeps, purges."""
    from bot.runtime import Runtime

    async def main() -> None:
        runtime = Runtime(settings)
        await runtime.start(handle=True, deliver=True, watch=True, worker_only=True)
        print("Rahnama worker is delivering messages.", file=sys.stderr, flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runtime.stop()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


@command("chat")
def chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to Rahnama in this terminal (or script it through stdin)."""
    from bot.channels.console import ConsoleSession
    from bot.runtime import Runtime
    from bot.storage.migrate import upgrade

    async def main() -> None:
        if not args.no_migrate:
            await upgrade(settings.database_url)
        runtime = Runtime(settings)
        await runtime.start(handle=True, deliver=False, watch=False)
        try:
            interactive = sys.stdin.isatty() and not args.json
            if interactive:
                print("Rahnama — write a message (Ctrl-D to leave).", file=sys.stderr)
            await ConsoleSession(runtime, args.user, args.json).run(sys.stdin, interactive)
        finally:
            await runtime.stop()

    asyncio.run(main())
    return 0


# -- database ------------------------------------------------------------------------------------

@command("db")
def db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.migrate import upgrade

    if args.db_command == "upgrade":
        asyncio.run(upgrade(settings.database_url, args.revision))
        print("Database is up to date.")
    return 0


# -- content -------------------------------------------------------------------------------------

@command("content")
def content(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content import cli as content_cli

    return content_cli.main(args, settings)


@command("search")
def search(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content import search_cli

    return search_cli.main(args, settings)


@command("staff")
def staff(args: argparse.Namespace, settings: Settings) -> int:
    from bot.staff import cli as staff_cli

    return staff_cli.staff_main(args, settings)


@command("tickets")
def tickets(args: argparse.Namespace, settings: Settings) -> int:
    from bot.staff import cli as staff_cli

    return staff_cli.tickets_main(args, settings)


@command("complaints")
def complaints(args: argparse.Namespace, settings: Settings) -> int:
    from bot.staff import cli as staff_cli

    return staff_cli.complaints_main(args, settings)


@command("telegram")
def telegram(args: argparse.Namespace, settings: Settings) -> int:
    """Register the webhook (with its secret token), update kinds and command menus."""
    from bot.channels.telegram import TelegramChannel
    from bot.content.store import load

    if not settings.telegram_token or not settings.public_url or not settings.telegram_webhook_secret:
        print("rahnama: set RAHNAMA_TELEGRAM_TOKEN, RAHNAMA_PUBLIC_URL and RAHNAMA_TELEGRAM_WEBHOOK_SECRET first",
              file=sys.stderr)
        return 2
    content = load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
    result = asyncio.run(TelegramChannel(settings).register(content))
    print(f"Webhook: {result['webhook']}\nCommand menus: {', '.join(result['commands'])}")
    return 0


@command("i18n")
def i18n(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content import cli as content_cli

    return content_cli.i18n(args, settings)


# -- argument parsing ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rahnama", description="Rahnama, a multilingual guide for refugees and migrants.")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, helptext in (("run", "migrate, serve and deliver in one process (local use)"),
                           ("serve", "serve the web app and webhooks")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        if name == "serve":
            p.add_argument("--with-worker", action="store_true", help="also deliver the outbox in this process")
    sub.add_parser("worker", help="deliver the outbox (run beside `serve`)")

    p = sub.add_parser("chat", help="chat with Rahnama in the terminal")
    p.add_argument("--user", default="local", help="console user id (resume a conversation)")
    p.add_argument("--json", action="store_true", help="print replies as JSON lines")
    p.add_argument("--no-migrate", action="store_true")

    p = sub.add_parser("db", help="database migrations")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")

    from bot.content import cli as content_cli

    content_cli.add_parser(sub)
    from bot.content import search_cli

    search_cli.add_parser(sub)
    from bot.staff import cli as staff_cli

    staff_cli.add_parsers(sub)
    p = sub.add_parser("telegram", help="Telegram set-up")
    tsub = p.add_subparsers(dest="telegram_command", required=True)
    tsub.add_parser("set-webhook", help="register the webhook, its secret, update kinds and command menus")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {}
    if getattr(args, "content", None):
        overrides["content_dir"] = Path(args.content)
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        print(f"rahnama: configuration error: {exc}", file=sys.stderr)
        return 2
    quiet = args.command in ("chat", "search") and "RAHNAMA_LOG_LEVEL" not in os.environ
    logs.setup("WARNING" if quiet else settings.log_level, settings.log_personal_data)
    from bot.storage.db import MigrationNeeded

    try:
        return COMMANDS[args.command](args, settings)
    except MigrationNeeded as exc:
        print(f"rahnama: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None, default=str))


if __name__ == "__main__":
    sys.exit(main())
