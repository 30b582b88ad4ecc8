"""WhatsApp through Meta's Cloud API: a second WhatsApp provider, in one module plus its routes.

GET /webhooks/meta answers Meta's verification challenge (hub.verify_token must match).
POST /webhooks/meta is checked with X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the
app secret) before anything is parsed; wamid de-duplicates. Buttons go out natively: up to three
reply buttons (titles ≤ 20 characters), or a list of up to ten rows (titles ≤ 24); longer menus
fall back to numbered text. Outside the 24-hour window an approved template is sent.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Channel, DeliveryError, Template
from bot.channels.render import numbered, split_text
from bot.core.messages import InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
BODY_LIMIT = 1024      # interactive message body
BUTTON_TITLE = 20
ROW_TITLE = 24
MAX_BUTTONS, MAX_ROWS = 3, 10
WINDOW_CLOSED = {131047}                 # re-engagement message needed
UNREACHABLE = {131026, 131021, 131049}   # undeliverable, recipient cannot be sender, not delivered (ecosystem)
RETRY = {130429, 131048, 131056, 4, 80007}  # throughput, spam rate, pair rate limits, app rate limit


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_payload(data: dict[str, Any]) -> tuple[list[InboundMessage], list[dict[str, Any]]]:
    """Messages and delivery statuses from a Cloud API webhook body."""
    messages, statuses = [], []
    for entry in data.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            statuses += value.get("statuses") or []
            for item in value.get("messages") or []:
                message = _message(item)
                if message is not None:
                    messages.append(message)
    return messages, statuses


def _message(item: dict[str, Any]) -> InboundMessage | None:
    sender, wamid, kind = item.get("from"), item.get("id"), item.get("type")
    if not sender or not wamid:
        return None
    fields: dict[str, Any] = {}
    if kind == "text":
        fields["text"] = (item.get("text") or {}).get("body", "")
    elif kind == "interactive":
        reply = (item.get("interactive") or {})
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        fields["button"] = chosen.get("id")
    elif kind == "button":  # a template's quick reply
        fields["text"] = (item.get("button") or {}).get("text", "")
        fields["button"] = (item.get("button") or {}).get("payload") or None
    elif kind == "location":
        location = item.get("location") or {}
        fields["location"] = (float(location.get("latitude", 0)), float(location.get("longitude", 0)))
    elif kind in ("image", "audio", "voice", "video", "document", "sticker"):
        media = item.get(kind) or {}
        fields["media"] = {"image": "photo", "audio": "voice"}.get(kind, kind)
        fields["media_ref"] = media.get("id")
        fields["text"] = media.get("caption", "")
    else:
        fields["media"] = kind or "unknown"
    return InboundMessage("whatsapp", sender, wamid, **fields)


class MetaWhatsAppChannel(Channel):
    name = "whatsapp"
    session_window = timedelta(hours=24)
    recipient_rate = 1.0
    recipient_burst = 5
    channel_rate = 80.0   # Cloud API default per business number
    confirms_delivery = True

    def __init__(self, settings: Any, runtime: Any) -> None:
        super().__init__()
        self.settings = settings
        self.runtime = runtime
        self.http: httpx.AsyncClient | None = None

    async def start(self, inbound: bool = True) -> None:
        self.http = httpx.AsyncClient(base_url=self.settings.meta_api_url.rstrip("/"), timeout=15,
                                      headers={"Authorization": f"Bearer {self.settings.meta_access_token}"})

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.aclose()

    def routes(self) -> list[BaseRoute]:
        return [Route("/webhooks/meta", self.verify, methods=["GET"]),
                Route("/webhooks/meta", self.webhook, methods=["POST"])]

    # -- inbound ---------------------------------------------------------------------------
    async def verify(self, request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), self.settings.meta_verify_token.encode()):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return Response(status_code=403)

    def signed(self, body: bytes, header: str) -> bool:
        expected = "sha256=" + hmac.new(self.settings.meta_app_secret.encode(), body, hashlib.sha256).hexdigest()
        return bool(header) and hmac.compare_digest(expected.encode(), header.encode())

    async def webhook(self, request: Request) -> Response:
        body = await request.body()
        if not self.signed(body, request.headers.get("X-Hub-Signature-256", "")):
            return Response(status_code=403)
        try:
            messages, statuses = parse_payload(json.loads(body))
        except (ValueError, TypeError, AttributeError):
            return Response(status_code=400)
        assert self.accept is not None
        for message in messages:
            await self.accept(message)
        from bot.channels.delivery import record_status

        for status in statuses:
            errors = status.get("errors") or []
            code = str(errors[0].get("code")) if errors else None
            await record_status(self.runtime, status.get("id", ""), status.get("status", ""), code,
                                window_closed=bool(code and int(code) in WINDOW_CLOSED))
        return Response(status_code=200)

    # -- outbound --------------------------------------------------------------------------
    def bodies(self, address: str, message: OutboundMessage) -> list[dict[str, Any]]:
        """The Cloud API payloads for one message (text parts, then the interactive part)."""
        base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": address}
        choices = [b for b in message.buttons if not b.url]
        if not choices or len(choices) > MAX_ROWS:
            text = numbered(message) if choices else message.text
            links = [f"{b.label}: {b.url}" for b in message.buttons if b.url and not choices]
            text = "\n".join([text, *links]) if links else text
            return [{**base, "type": "text", "text": {"body": part, "preview_url": False}}
                    for part in split_text(text, TEXT_LIMIT)]
        text = message.text or "…"
        lead = split_text(text, BODY_LIMIT)
        head, body = lead[:-1], lead[-1]
        out = [{**base, "type": "text", "text": {"body": part, "preview_url": False}} for part in head]
        if len(choices) <= MAX_BUTTONS:
            action = {"buttons": [{"type": "reply", "reply": {"id": b.payload, "title": short(b.label, BUTTON_TITLE)}}
                                  for b in choices]}
            interactive = {"type": "button", "body": {"text": body}, "action": action}
        else:
            rows = [{"id": b.payload, "title": short(b.label, ROW_TITLE),
                     **({"description": short(b.label, 72)} if len(b.label) > ROW_TITLE else {})} for b in choices]
            interactive = {"type": "list", "body": {"text": body},
                           "action": {"button": short(message.menu_title or "☰", BUTTON_TITLE),
                                      "sections": [{"title": short(message.menu_title or "Menu", 24), "rows": rows}]}}
        out.append({**base, "type": "interactive", "interactive": interactive})
        return out

    async def send(self, address: str, message: OutboundMessage) -> str | None:
        last = None
        for body in self.bodies(address, message):
            last = await self._post(body)
        return last

    async def send_template(self, address: str, template: Template) -> str | None:
        name = self.settings.meta_templates.get(f"{template.name}:{template.lang}") or \
            self.settings.meta_templates.get(template.name)
        if not name:
            raise DeliveryError(DeliveryError.PERMANENT, "no-template")
        template_name, _, language = name.partition("@")  # "ticket_reply@ar" or just "ticket_reply"
        parameters = [{"type": "text", "text": value} for value in template.variables.values()]
        return await self._post({"messaging_product": "whatsapp", "to": address, "type": "template", "template": {
            "name": template_name, "language": {"code": language or template.lang.replace("_", "-")},
            "components": [{"type": "body", "parameters": parameters}] if parameters else []}})

    async def _post(self, body: dict[str, Any]) -> str:
        assert self.http is not None
        try:
            response = await self.http.post(f"/{self.settings.meta_phone_number_id}/messages", json=body)
        except httpx.HTTPError as exc:
            raise DeliveryError(DeliveryError.RETRY, type(exc).__name__) from None
        if response.status_code >= 400:
            raise classify(response)
        return response.json()["messages"][0]["id"]

    async def fetch_media(self, media_id: str) -> tuple[bytes, str]:
        assert self.http is not None
        info = (await self.http.get(f"/{media_id}")).json()
        response = await self.http.get(info["url"])
        return response.content, info.get("mime_type", "application/octet-stream")


def classify(response: httpx.Response) -> DeliveryError:
    try:
        code = int(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        code = 0
    if code in WINDOW_CLOSED:
        return DeliveryError(DeliveryError.WINDOW_CLOSED, str(code))
    if code in UNREACHABLE:
        return DeliveryError(DeliveryError.UNREACHABLE, str(code))
    if code in RETRY or response.status_code == 429 or response.status_code >= 500:
        return DeliveryError(DeliveryError.RETRY, str(code or response.status_code), whole_channel=code == 130429)
    return DeliveryError(DeliveryError.PERMANENT, str(code or response.status_code))
