"""WhatsApp through Twilio (Programmable Messaging), with the twilio library.

Inbound: Twilio posts a form to /webhooks/twilio. The X-Twilio-Signature is checked with
Twilio's own RequestValidator over *all* posted fields and the public URL configured for this
deployment (never a URL rebuilt from forwarded headers, which anyone could send): unsigned or
wrongly signed → 403 and nothing stored. The message is committed to the inbox, then we answer
an empty TwiML document — well inside Twilio's 15 seconds; replies go through the outbox and
the REST API. Twilio retries, so MessageSid de-duplicates.

Outbound: text split at 1,600 characters; menus as WhatsApp quick replies or list pickers
through Content templates when the operator configured them, else as numbered text (which
always works). Outside the 24-hour customer-service window only an approved template may be
sent — as a Content template (ContentSid + ContentVariables, never a Body) — and error 63016 is
"window closed", not a crash. Status callbacks record delivery (sent, delivered, read, failed
with Twilio's error code).
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import Channel, DeliveryError, Template
from bot.channels.render import numbered, split_text
from bot.core.messages import InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

TEXT_LIMIT = 1600
TWILIO_API = "https://api.twilio.com"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
WINDOW_CLOSED = {63016}
UNREACHABLE = {21610, 63024, 63003, 21211, 21614}  # opted out, invalid or unreachable recipient
RETRY = {20429, 20003, 30001, 30006, 63018, 63038}  # too many requests, queue, rate/daily limits


def media_kind(content_type: str) -> str:
    kind = content_type.split("/", 1)[0]
    return {"audio": "voice", "image": "photo", "video": "video"}.get(kind, "document")


class _RebasedClient(AsyncTwilioHttpClient):
    """The real twilio HTTP client, pointed at another base URL (a local fake in tests)."""

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API):]
        return await super().request(method, url, *args, **kwargs)


def parse_form(form: dict[str, str]) -> InboundMessage | None:
    """Twilio's inbound WhatsApp parameters → our message."""
    sender = form.get("WaId") or form.get("From", "").removeprefix("whatsapp:").lstrip("+")
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid")
    if not sender or not sid:
        return None
    location = None
    if form.get("Latitude") and form.get("Longitude"):
        try:
            location = (float(form["Latitude"]), float(form["Longitude"]))
        except ValueError:
            location = None
    media = media_ref = None
    if int(form.get("NumMedia", "0") or 0) > 0:
        media = media_kind(form.get("MediaContentType0", ""))
        media_ref = form.get("MediaUrl0")
    button = form.get("ButtonPayload") or form.get("ListId") or None
    return InboundMessage("whatsapp", sender, sid, text=form.get("Body", "") if not button else "",
                          button=button, location=location, media=media, media_ref=media_ref)


class TwilioWhatsAppChannel(Channel):
    name = "whatsapp"
    session_window = timedelta(hours=24)
    recipient_rate = 1.0
    recipient_burst = 5
    channel_rate = 10.0   # Twilio's default WhatsApp sender throughput
    confirms_delivery = True

    def __init__(self, settings: Any, runtime: Any) -> None:
        super().__init__()
        self.settings = settings
        self.runtime = runtime
        self.validator = RequestValidator(settings.twilio_auth_token)
        self.client: Client | None = None

    async def start(self, inbound: bool = True) -> None:
        http = _RebasedClient(self.settings.twilio_api_url, timeout=10)
        self.client = Client(self.settings.twilio_account_sid, self.settings.twilio_auth_token, http_client=http)

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.http_client.close()

    def routes(self) -> list[BaseRoute]:
        return [Route("/webhooks/twilio", self.webhook, methods=["POST"]),
                Route("/webhooks/twilio/status", self.status_callback, methods=["POST"])]

    # -- inbound ---------------------------------------------------------------------------
    async def verified_form(self, request: Request) -> dict[str, str] | None:
        form = {key: str(value) for key, value in (await request.form()).multi_items()}
        url = self.settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        signature = request.headers.get("X-Twilio-Signature", "")
        return form if signature and self.validator.validate(url, form, signature) else None

    async def webhook(self, request: Request) -> Response:
        form = await self.verified_form(request)
        if form is None:
            return Response(status_code=403)
        message = parse_form(form)
        if message is not None:
            assert self.accept is not None
            await self.accept(message)
        return Response(EMPTY_TWIML, media_type="text/xml")

    async def status_callback(self, request: Request) -> Response:
        form = await self.verified_form(request)
        if form is None:
            return Response(status_code=403)
        from bot.channels.delivery import record_status

        code = form.get("ErrorCode") or None
        await record_status(self.runtime, form.get("MessageSid", ""), form.get("MessageStatus", ""), code,
                            window_closed=code is not None and int(code) in WINDOW_CLOSED)
        return Response(status_code=204)

    # -- outbound --------------------------------------------------------------------------
    def _common(self, address: str) -> dict[str, Any]:
        callback = f"{self.settings.public_url}/webhooks/twilio/status" if self.settings.public_url else None
        return {"from_": self.settings.twilio_whatsapp_from, "to": f"whatsapp:+{address.lstrip('+')}",
                **({"status_callback": callback} if callback else {})}

    def menu_template(self, message: OutboundMessage) -> tuple[str, dict[str, str]] | None:
        """A configured Content template for these choices: variables 1 = the text, then label and id
        pairs (see README). Quick replies up to 3 choices, a list up to 10."""
        choices = [b for b in message.buttons if not b.url]
        if not choices or len(message.text) > 1024:
            return None
        templates = self.settings.twilio_menu_templates
        sid = (templates.get(f"buttons:{len(choices)}") if len(choices) <= 3 else None) or \
            (templates.get(f"list:{len(choices)}") if len(choices) <= 10 else None)
        if not sid:
            return None
        variables = {"1": message.text}
        for index, button in enumerate(choices):
            variables[str(2 + 2 * index)] = button.label[:24]
            variables[str(3 + 2 * index)] = button.payload
        return sid, variables

    async def send(self, address: str, message: OutboundMessage) -> str | None:
        assert self.client is not None
        template = self.menu_template(message)
        if template is not None:
            sid, variables = template
            return await self._create(content_sid=sid, content_variables=json.dumps(variables, ensure_ascii=False),
                                      **self._common(address))
        text = numbered(message) if message.buttons else message.text
        last = None
        for part in split_text(text, TEXT_LIMIT):
            last = await self._create(body=part, **self._common(address))
        return last

    async def send_template(self, address: str, template: Template) -> str | None:
        templates = self.settings.twilio_templates
        sid = templates.get(f"{template.name}:{template.lang}") or templates.get(template.name)
        if not sid:
            raise DeliveryError(DeliveryError.PERMANENT, "no-template")
        variables = {str(i): value for i, value in enumerate(template.variables.values(), 1)}
        return await self._create(content_sid=sid, content_variables=json.dumps(variables), **self._common(address))

    async def _create(self, **params: Any) -> str:
        assert self.client is not None
        try:
            created = await self.client.messages.create_async(**params)
        except TwilioRestException as exc:
            raise classify(exc) from None
        except Exception as exc:  # network: aiohttp errors, timeouts
            raise DeliveryError(DeliveryError.RETRY, type(exc).__name__) from None
        return created.sid

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        auth = (self.settings.twilio_account_sid, self.settings.twilio_auth_token)
        async with httpx.AsyncClient(follow_redirects=True, timeout=20) as http:
            response = await http.get(url, auth=auth)
            response.raise_for_status()
            return response.content, response.headers.get("content-type", "application/octet-stream")


def classify(exc: TwilioRestException) -> DeliveryError:
    code = exc.code or 0
    if code in WINDOW_CLOSED:
        return DeliveryError(DeliveryError.WINDOW_CLOSED, str(code))
    if code in UNREACHABLE:
        return DeliveryError(DeliveryError.UNREACHABLE, str(code))
    if code in RETRY or exc.status == 429 or exc.status >= 500:
        return DeliveryError(DeliveryError.RETRY, str(code or exc.status))
    return DeliveryError(DeliveryError.PERMANENT, str(code or exc.status))
