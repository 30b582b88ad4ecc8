"""Telegram, through python-telegram-bot.

Webhook mode (a public URL is configured): Telegram posts updates to /webhooks/telegram; the
secret token header is checked in constant time; the update is parsed with PTB's `Update` and
committed to our inbox *before* we answer 200. (PTB's own pattern puts the update on an
in-memory queue and answers at once, which loses it if the process dies: our inbox does not.)
The PTB `Application` is built without an Updater and serves as the Bot API client.

Polling mode (no public URL, for development): getUpdates in a loop; an update's offset is
acknowledged only after it has been committed, so a crash cannot lose one.

Sending: plain text (no parse mode, so nothing a person or an editor writes can break
formatting), buttons as an inline keyboard with short ASCII callback data, texts split at
4,096 UTF-16 code units on paragraph breaks. The outbox paces each chat (about one message a
second, short bursts) and the whole bot (30 a second); a 429's retry_after pauses the bot.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import mimetypes
import os
from datetime import timedelta
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta (PTB 22's future default)

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.channels.base import Channel, DeliveryError
from bot.channels.render import split_text, utf16_length
from bot.content.i18n import N_
from bot.core.messages import InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MEDIA = (("voice", "voice"), ("audio", "audio"), ("video_note", "video"), ("video", "video"),
         ("document", "document"), ("sticker", "sticker"), ("contact", "contact"))
UNREACHABLE = ("chat not found", "user is deactivated", "bot was blocked", "bot can't initiate")


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def parse_update(update: Update) -> InboundMessage | None:
    """A Telegram update → our message (None for kinds we do not handle, e.g. group chats)."""
    provider_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        if query.message is not None and query.message.chat.type != "private":
            return None
        return InboundMessage("telegram", str(query.from_user.id), provider_id, button=query.data or "")
    message = update.message or update.edited_message
    if message is None or message.chat.type != "private":
        return None
    text = message.text or message.caption or ""
    start_payload = None
    if text == "/start" or text.startswith("/start "):
        start_payload = text[len("/start"):].strip() or None  # deep link: t.me/Bot?start=ar__legal-aid
        text = "" if start_payload else "start"
    elif text.startswith("/"):
        text = text[1:].split("@", 1)[0]  # "/help@RahnamaBot" → "help"
    location = (message.location.latitude, message.location.longitude) if message.location else None
    media = media_ref = None
    if message.photo:
        media, media_ref = "photo", message.photo[-1].file_id
    else:
        for attribute, kind in MEDIA:
            item = getattr(message, attribute, None)
            if item is not None:
                media, media_ref = kind, getattr(item, "file_id", None)
                break
    return InboundMessage("telegram", str(message.chat.id), provider_id, text=text, location=location,
                          media=media, media_ref=media_ref, start_payload=start_payload)


class TelegramChannel(Channel):
    name = "telegram"
    recipient_rate = 1.0
    recipient_burst = 3
    channel_rate = 30.0

    def __init__(self, settings: Any) -> None:
        super().__init__()
        self.settings = settings
        api = settings.telegram_api_url.rstrip("/")
        self.app = (Application.builder().token(settings.telegram_token).base_url(f"{api}/bot")
                    .base_file_url(f"{api}/file/bot").updater(None).build())
        self.ready = asyncio.Event()
        self.last_error: str | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._offset: int | None = None
        self.inbound = True

    @property
    def bot(self) -> Any:
        return self.app.bot

    @property
    def polling(self) -> bool:
        return not self.settings.public_url

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self, inbound: bool = True) -> None:
        """Connect in the background: a start without internet is reported, not fatal."""
        self.inbound = inbound
        self._tasks.append(asyncio.create_task(self._connect(), name="telegram-connect"))

    async def _connect(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.app.initialize()  # getMe
                self.ready.set()
                self.last_error = None
                log.info("telegram connected", extra={"bot": self.bot.username})
                break
            except InvalidToken:
                self.last_error = "the Telegram token was refused (RAHNAMA_TELEGRAM_TOKEN)"
                log.error("telegram token refused; the channel stays off")
                return
            except (NetworkError, TelegramError) as exc:
                self.last_error = f"cannot reach Telegram yet ({type(exc).__name__}); retrying"
                log.warning("telegram not reachable yet; retrying", extra={"in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300)
        if self.polling and self.inbound:
            self._tasks.append(asyncio.create_task(self._poll(), name="telegram-poll"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.ready.is_set():
            await self.app.shutdown()

    def status(self) -> dict[str, Any]:
        return {"enabled": True, "connected": self.ready.is_set(), "mode": "polling" if self.polling else "webhook",
                "error": self.last_error}

    # -- inbound ---------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [Route("/webhooks/telegram", self.webhook, methods=["POST"])]

    async def webhook(self, request: Request) -> Response:
        expected = self.settings.telegram_webhook_secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
            update = Update.de_json(data, self.bot)
        except (ValueError, TypeError, KeyError):
            return Response(status_code=400)
        await self.receive(update)  # a database error here answers 500: Telegram sends it again
        return JSONResponse({"ok": True})

    async def receive(self, update: Update) -> None:
        message = parse_update(update)
        if message is None:
            return
        assert self.accept is not None
        await self.accept(message)
        if update.callback_query is not None:
            # Stop the button's spinner; not worth retrying if it fails.
            asyncio.get_running_loop().create_task(self._answer_callback(update.callback_query.id))

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError:
            pass

    async def _poll(self) -> None:
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except TelegramError:
            pass
        delay = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(offset=self._offset, timeout=25, allowed_updates=ALLOWED_UPDATES)
                for update in updates:
                    await self.receive(update)
                    self._offset = update.update_id + 1  # acknowledged only once committed
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep polling through network trouble
                self.last_error = f"polling: {type(exc).__name__}"
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    # -- outbound --------------------------------------------------------------------------
    def keyboard(self, message: OutboundMessage) -> InlineKeyboardMarkup | None:
        rows = []
        for button in message.buttons:
            if button.url:
                if button.url.startswith(("https://", "http://")):  # Telegram refuses tel: links
                    rows.append([InlineKeyboardButton(button.label, url=button.url)])
            else:
                rows.append([InlineKeyboardButton(button.label, callback_data=button.payload)])
        return InlineKeyboardMarkup(rows) if rows else None

    async def send(self, address: str, message: OutboundMessage) -> str | None:
        if not self.ready.is_set():
            raise DeliveryError(DeliveryError.RETRY, "not-connected")
        parts = split_text(message.text or "…", TEXT_LIMIT, utf16_length)
        keyboard = self.keyboard(message)
        sent = None
        try:
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                sent = await self.bot.send_message(chat_id=int(address), text=part,
                                                   reply_markup=keyboard if last else None)
            if message.location:
                await self.bot.send_location(chat_id=int(address), latitude=message.location[0],
                                             longitude=message.location[1])
        except RetryAfter as exc:
            raise DeliveryError(DeliveryError.RETRY, "429", retry_after=_seconds(exc.retry_after), whole_channel=True) from None
        except Forbidden:
            raise DeliveryError(DeliveryError.UNREACHABLE, "403") from None
        except BadRequest as exc:
            unreachable = any(reason in str(exc).lower() for reason in UNREACHABLE)
            raise DeliveryError(DeliveryError.UNREACHABLE if unreachable else DeliveryError.PERMANENT, "400") from None
        except NetworkError as exc:
            raise DeliveryError(DeliveryError.RETRY, type(exc).__name__) from None
        except TelegramError as exc:
            raise DeliveryError(DeliveryError.RETRY, type(exc).__name__) from None
        return str(sent.message_id) if sent else None

    async def fetch_media(self, file_id: str) -> tuple[bytes, str]:
        file = await self.bot.get_file(file_id)
        data = bytes(await file.download_as_bytearray())
        return data, mimetypes.guess_type(file.file_path or "")[0] or "application/octet-stream"

    # -- set-up (rahnama telegram set-webhook) ------------------------------------------------
    async def register(self, content: Any) -> dict[str, Any]:
        """Register the webhook, its secret, the update kinds, and the command menu per language."""
        await self.app.initialize()
        url = f"{self.settings.public_url}/webhooks/telegram"
        await self.bot.set_webhook(url=url, secret_token=self.settings.telegram_webhook_secret,
                                   allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        done = []
        for lang, code in telegram_language_codes(content.languages, content.default_language):
            tr = content.translator(lang)
            commands = [BotCommand(command, tr.t(description)) for command, description in COMMANDS]
            await self.bot.set_my_commands(commands, language_code=code)
            done.append(code or "default")
        await self.app.shutdown()
        return {"webhook": url, "commands": done}


# The bot's command menu (descriptions are interface strings, translated per language).
COMMANDS = (("menu", N_("Main menu")), ("help", N_("How to use Rahnama")), ("language", N_("Change language")),
            ("privacy", N_("What do you keep about me?")), ("delete", N_("Delete my data")))


def telegram_language_codes(languages: Any, default: str) -> list[tuple[str, str | None]]:
    """Telegram knows two-letter codes only: Dari shares Farsi's menu, Kurmanji takes "ku",
    Sorani has no code of its own; the default language also becomes the default menu."""
    mapping: dict[str, str | None] = {"fa_AF": None, "kmr": "ku", "ckb": None}
    result: list[tuple[str, str | None]] = [(default, None)]
    for lang in languages:
        code = mapping[lang] if lang in mapping else lang
        if code:
            result.append((lang, code))
    return result
