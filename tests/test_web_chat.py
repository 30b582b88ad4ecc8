"""Web chat: the JSON API over HTTP, and the page driven in a real headless Chromium."""
from __future__ import annotations

import uuid

import httpx
import pytest

from bot.app import create_app

SESSION = uuid.uuid4().hex


@pytest.fixture
async def client(runtime):
    app = create_app(runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


async def send(client, **body):
    return await client.post("/chat/api/send", json={"session": SESSION, "id": uuid.uuid4().hex, **body})


async def test_page_and_assets_are_served(client):
    page = await client.get("/")
    assert page.status_code == 200 and "chat.js" in page.text
    assert (await client.get("/chat/chat.js")).status_code == 200
    assert (await client.get("/chat/secret.py")).status_code == 404


async def test_send_and_poll(client, runtime):
    response = await send(client, text="hello")
    assert response.status_code == 202
    await runtime.inbox.drain()
    data = (await client.get("/chat/api/poll", params={"session": SESSION, "after": 0, "wait": 5})).json()
    [message] = data["messages"]
    assert any(b["payload"] == "lang:ar" for b in message["buttons"])
    await send(client, button="lang:ar")
    await runtime.inbox.drain()
    data = (await client.get("/chat/api/poll", params={"session": SESSION, "after": message["id"], "wait": 5})).json()
    assert data["messages"] and all(m["rtl"] for m in data["messages"])
    assert all(m["id"] > message["id"] for m in data["messages"])


async def test_duplicate_post_is_accepted_once(client, runtime):
    body = {"session": SESSION, "id": "same-message-id", "text": "hello"}
    first = (await client.post("/chat/api/send", json=body)).json()
    second = (await client.post("/chat/api/send", json=body)).json()
    assert (first["duplicate"], second["duplicate"]) == (False, True)


@pytest.mark.parametrize("body", [
    {"session": "not-hex", "id": "abcdefgh", "text": "x"},
    {"session": SESSION, "id": "abcdefgh"},
    {"session": SESSION, "id": "abcdefgh", "text": "x" * 5000},
    {"session": SESSION, "id": "abcdefgh", "location": [200, 0]},
    ["not", "an", "object"],
])
async def test_bad_input_is_refused_clearly(client, body):
    response = await client.post("/chat/api/send", json=body)
    assert response.status_code == 400 and "error" in response.json()


async def test_long_poll_waits_and_returns_empty(client):
    data = (await client.get("/chat/api/poll", params={"session": SESSION, "wait": 0.2})).json()
    assert data == {"messages": []}


@pytest.mark.browser
async def test_web_chat_in_headless_chromium(live_server, browser):
    page = await browser.new_page()
    await page.goto(live_server)
    # The page greets on first visit; the language menu arrives as buttons.
    await page.get_by_role("button", name="English").click(timeout=15000)
    await page.get_by_role("button", name="Yes, continue").click(timeout=15000)
    await page.locator("#text").fill("help")
    await page.locator("#send").click()
    await page.get_by_text("How to use Rahnama").wait_for(timeout=15000)
    await page.locator("#text").fill("٢")
    await page.keyboard.press("Enter")
    fresh = page.locator(".choices button:not([disabled])")
    await fresh.filter(has_text="Français").wait_for(timeout=15000)
    await fresh.filter(has_text="العربية").click()
    # The answer in Arabic is laid out right to left.
    await page.locator("li.msg.bot[dir=rtl]").first.wait_for(timeout=15000)
    assert await page.locator("li.msg.bot").last.get_attribute("lang") == "ar"
    await page.close()
