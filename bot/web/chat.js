// Rahnama web chat: post messages, long-poll replies. No framework, no tracking.
(() => {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const randomHex = (n) => hex(crypto.getRandomValues(new Uint8Array(n)));

  let session = localStorage.getItem("rahnama.session");
  if (!/^[a-f0-9]{32}$/.test(session || "")) {
    session = randomHex(16);
    localStorage.setItem("rahnama.session", session);
  }
  let lastId = Number(sessionStorage.getItem("rahnama.last") || 0);
  let sent = 0;

  function showStatus(text) {
    status.hidden = !text;
    status.textContent = text || "";
  }

  function bubble(text, who, options = {}) {
    const item = document.createElement("li");
    item.className = "msg " + who + (options.fromPerson ? " person" : "");
    item.dir = options.rtl ? "rtl" : "auto";
    if (options.lang) item.lang = options.lang.replace("_", "-");
    if (options.fromPerson) {
      const label = document.createElement("span");
      label.className = "who";
      label.textContent = "👤";
      item.appendChild(label);
    }
    item.appendChild(document.createTextNode(text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function disableOldChoices() {
    log.querySelectorAll(".choices button").forEach((b) => { b.disabled = true; });
  }

  function render(message) {
    const item = bubble(message.text, "bot", {
      rtl: message.rtl, lang: message.lang, fromPerson: message.from_person,
    });
    if (message.buttons && message.buttons.length) {
      disableOldChoices();
      const choices = document.createElement("div");
      choices.className = "choices";
      let number = 0;
      message.buttons.forEach((b) => {
        if (b.url) {
          const link = document.createElement("a");
          link.href = b.url; link.textContent = b.label; link.target = "_blank"; link.rel = "noopener";
          choices.appendChild(link);
          return;
        }
        number += 1;
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.payload = b.payload;
        const num = document.createElement("span");
        num.className = "num"; num.textContent = String(number);
        button.append(num, document.createTextNode(b.label));
        button.addEventListener("click", () => send({ button: b.payload }, b.label));
        choices.appendChild(button);
      });
      item.appendChild(choices);
    }
  }

  async function send(message, echo) {
    bubble(echo, "me");
    const body = { session, id: Date.now().toString(36) + "-" + (sent++) + "-" + randomHex(4), ...message };
    try {
      const response = await fetch("/chat/api/send", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        showStatus(data.error || "Could not send. Please try again.");
      } else {
        showStatus("");
      }
    } catch (error) {
      showStatus("No connection. Please try again.");
    }
  }

  async function poll() {
    for (;;) {
      try {
        const response = await fetch(`/chat/api/poll?session=${session}&after=${lastId}&wait=25`);
        if (!response.ok) throw new Error(String(response.status));
        const data = await response.json();
        data.messages.forEach((m) => {
          if (m.id > lastId) { render(m); lastId = m.id; }
        });
        sessionStorage.setItem("rahnama.last", String(lastId));
        showStatus("");
      } catch (error) {
        showStatus("Reconnecting…");
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text }, text);
  });

  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) { showStatus("Location is not available in this browser."); return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => send({ location: [pos.coords.latitude, pos.coords.longitude] }, "📍"),
      () => showStatus("Location was not shared."),
      { enableHighAccuracy: false, timeout: 15000 },
    );
  });

  if (!localStorage.getItem("rahnama.started")) {
    localStorage.setItem("rahnama.started", "1");
    send({ text: "👋" }, "👋");
  }
  poll();
})();
