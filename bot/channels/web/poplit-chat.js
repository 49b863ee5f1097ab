// Poplit's chat page: deep-chat (the chat UI) talking to Rasa's Socket.IO channel
// (bot/channels/socketio.py). Every bot message is rendered from escaped text by this file,
// never as HTML from the server: deep-chat's own link check lets `javascript:` through and its
// `html` messages are not sanitised.
customElements.whenDefined("deep-chat").then(() => {

  const SESSION_KEY = "poplit-session-id";
  const MAX_MESSAGE_CHARS = 2000;
  const chat = document.getElementById("poplit-chat");
  const statusLine = document.getElementById("poplit-status");
  const politeAnnouncer = document.getElementById("poplit-announcer");
  const alertAnnouncer = document.getElementById("poplit-alert-announcer");
  if (new URLSearchParams(window.location.search).has("embed")) document.body.classList.add("poplit-embedded");

  // A random id kept in this browser is the conversation's only key (the server refuses short ones).
  function sessionId() {
    // getRandomValues works on plain HTTP too (randomUUID needs a secure context).
    const fresh = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    try {
      let id = window.localStorage.getItem(SESSION_KEY);
      if (!id || !/^[A-Za-z0-9_-]{24,64}$/.test(id)) {
        id = fresh();
        window.localStorage.setItem(SESSION_KEY, id);
      }
      return id;
    } catch (error) {
      return fresh(); // storage blocked: the conversation lasts as long as the page
    }
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // Only web and mail links become links; anything else (javascript:, data:, vbscript:) stays text.
  function safeUrl(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return ["http:", "https:", "mailto:", "tel:"].includes(parsed.protocol) ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  function linkify(escaped) {
    return escaped.replace(/\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g, (url) => {
      const href = safeUrl(url.replace(/&amp;/g, "&"));
      return href ? `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${url}</a>` : url;
    });
  }

  function paragraphs(text) {
    return String(text || "")
      .split(/\n{2,}/)
      .filter((part) => part.trim())
      .map((part) => part.replace(/^- /gm, "\u2022 "))
      .map((part) => `<p class="poplit-text">${linkify(escapeHtml(part)).replace(/\n/g, "<br>")}</p>`)
      .join("");
  }

  // The server sends the heading (one wording on every channel); these stand in if it does not.
  const ALERT_TITLES = new Map([["emergency", "Emergency"], ["urgent", "Get care today"]]);

  function alertOf(message) {
    return ALERT_TITLES.has(message.alert) ? message.alert : null;
  }

  function alertTitle(message) {
    return typeof message.alert_title === "string" && message.alert_title ? message.alert_title : ALERT_TITLES.get(message.alert);
  }

  function botHtml(message) {
    const alert = alertOf(message);
    let body = "";
    if (alert) body += `<p class="poplit-alert-title">${escapeHtml(alertTitle(message))}</p>`;
    body += paragraphs(message.text);
    const image = message.attachment && message.attachment.payload && safeUrl(message.attachment.payload.src);
    if (image) body += `<img class="poplit-image" src="${escapeHtml(image)}" alt="Picture sent by Poplit">`;
    const choices = message.quick_replies || [];
    if (choices.length) {
      body += '<div class="poplit-choices" role="group" aria-label="Choices">';
      for (const choice of choices) {
        body += `<button type="button" class="poplit-choice" data-payload="${escapeHtml(choice.payload)}">${escapeHtml(choice.title)}</button>`;
      }
      body += "</div>";
    }
    const classes = alert ? `poplit-message poplit-alert poplit-alert-${alert}` : "poplit-message";
    return `<div class="${classes}">${body}</div>`;
  }

  function plainText(message) {
    const alert = alertOf(message);
    return (alert ? alertTitle(message) + ". " : "") + String(message.text || "");
  }

  // The person's own words, shown back as text (a pasted <img onerror> stays text).
  function userHtml(text) {
    return `<div class="poplit-message">${paragraphs(text)}</div>`;
  }

  let signals = null;
  let socket = null;
  let pendingPayload = null;
  const id = sessionId();

  // Choices belong to the question they came with: once the conversation moves on they are
  // disabled, so an old button cannot answer a newer question.
  function disableOldChoices(keepLast) {
    const root = chat.shadowRoot;
    if (!root) return;
    const groups = [...root.querySelectorAll(".poplit-choices")];
    for (const group of keepLast ? groups.slice(0, -1) : groups) {
      for (const button of group.querySelectorAll("button")) button.disabled = true;
    }
  }

  function show(message) {
    const response = { role: "ai", html: botHtml(message) };
    if (signals) signals.onResponse(response);
    else chat.addMessage(response);
    // Live replies only (not history): an alert interrupts, anything else waits its turn. Each
    // reply is added, not replaced, so a quick second message does not cut off the first.
    const announcer = alertOf(message) ? alertAnnouncer : politeAnnouncer;
    const line = document.createElement("p");
    line.textContent = plainText(message);
    announcer.appendChild(line);
    while (announcer.childNodes.length > 5) announcer.removeChild(announcer.firstChild);
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function send(text) {
    if (!socket || !socket.connected) {
      show({ text: "I'm not connected right now, so that message was not sent. Please try again in a moment." });
      return;
    }
    disableOldChoices(false);
    const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    socket.emit("user_uttered", { session_id: id, message: text.slice(0, MAX_MESSAGE_CHARS), metadata: { timezone } });
  }

  function choose(button) {
    if (button.disabled) return;
    disableOldChoices(false);
    pendingPayload = button.getAttribute("data-payload");
    chat.submitUserMessage({ text: button.textContent });
  }

  // deep-chat sizes itself (350 px by default); the page gives it the room below the header.
  chat.chatStyle = {
    width: "100%", height: "100%", borderRadius: "8px", border: "1px solid #c9d1da", backgroundColor: "#ffffff",
    fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  };
  chat.remarkable = { html: false, breaks: true };
  chat.textInput = {
    placeholder: { text: "Describe your knee pain or ask a question" },
    characterLimit: MAX_MESSAGE_CHARS,
    styles: { container: { width: "90%" } },
  };
  chat.names = { ai: { text: "Poplit" }, user: { text: "You" } };
  chat.messageStyles = {
    default: { shared: { bubble: { maxWidth: "85%" } }, ai: { bubble: { backgroundColor: "#ffffff", color: "#1b1f24" } } },
    html: { shared: { bubble: { maxWidth: "85%" } } },
  };
  chat.htmlClassUtilities = {
    "poplit-choice": {
      // Native buttons: Enter and Space already click them.
      events: { click: (event) => choose(event.target) },
      styles: {
        default: {
          margin: "4px 6px 0 0", padding: "6px 12px", borderRadius: "16px", border: "1px solid #1d5fa8",
          backgroundColor: "#ffffff", color: "#1d5fa8", cursor: "pointer", font: "inherit",
        },
        hover: { backgroundColor: "#e8f0fa" },
      },
    },
    "poplit-alert": { styles: { default: { padding: "8px 10px", borderRadius: "6px", borderLeft: "6px solid #b42318" } } },
    "poplit-alert-emergency": { styles: { default: { backgroundColor: "#fde8e8", color: "#5c0b0b" } } },
    "poplit-alert-urgent": { styles: { default: { backgroundColor: "#fff4e0", color: "#5a3300", borderLeftColor: "#b26b00" } } },
    "poplit-alert-title": { styles: { default: { fontWeight: "700", fontSize: "1.05em", margin: "0 0 4px" } } },
    "poplit-text": { styles: { default: { margin: "0 0 6px" } } },
    "poplit-image": { styles: { default: { maxWidth: "100%", borderRadius: "6px", marginTop: "4px" } } },
  };
  function connect() {
    socket = window.io(window.location.origin, { path: "/socket.io", transports: ["websocket", "polling"] });
    socket.on("connect", () => socket.emit("session_request", { session_id: id }));
    socket.on("session_confirm", () => {
      setStatus("Connected. Your conversation is kept in this browser.");
      signals.onOpen();
    });
    socket.on("bot_uttered", (message) => {
      if (message && typeof message === "object") show(message);
    });
    socket.on("message_error", (problem) => show({ text: "That message could not be sent: " + (problem && problem.error) }));
    socket.on("session_error", (problem) => setStatus("Could not start the conversation: " + (problem && problem.error)));
    socket.on("disconnect", () => setStatus("Reconnecting…"));
    socket.io.on("reconnect_attempt", () => setStatus("Reconnecting…"));
  }

  // The conversation so far (after a reload), before anything new arrives.
  async function loadHistory() {
    try {
      const reply = await fetch("/chat/history", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session_id: id }),
        cache: "no-store",
      });
      const history = reply.ok ? (await reply.json()).messages : [];
      return history.map((message) =>
        message.role === "user" ? { role: "user", html: userHtml(message.text) } : { role: "ai", html: botHtml(message) },
      );
    } catch (error) {
      setStatus("Could not load the earlier conversation.");
      return [];
    }
  }

  window.poplitChat = { sessionId: id };
  loadHistory().then((history) => {
    // Set together, after the history, so deep-chat renders once and then opens the connection.
    chat.history = history;
    chat.connect = {
      websocket: true,
      handler: (_, chatSignals) => {
        signals = chatSignals;
        disableOldChoices(true);
        signals.newUserMessage.listener = (body) => {
          const typed = body && body.messages && body.messages[0] && body.messages[0].text;
          const text = pendingPayload !== null ? pendingPayload : typed;
          pendingPayload = null;
          if (text) send(text);
        };
        connect();
      },
    };

    window.poplitChat.historyLoaded = history.length;
  });
});
