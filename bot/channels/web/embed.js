// One-line embedding of Poplit's chat on another site:
//   <script src="https://YOUR-POPLIT-HOST/chat/embed.js" async></script>
// It adds a "Chat about knee pain" button that opens the chat page in a frame. The frame keeps the
// chat on Poplit's own origin (its session, its Content-Security-Policy); the host site must be
// listed in POPLIT_ALLOWED_ORIGINS, which the page's frame-ancestors and Socket.IO's CORS check use.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || document.getElementById("poplit-launcher")) return;
  const origin = new URL(script.src).origin;

  const frame = document.createElement("iframe");
  frame.id = "poplit-frame";
  frame.title = "Poplit chat about knee pain";
  frame.src = origin + "/chat?embed=1";
  frame.hidden = true;
  frame.setAttribute("style", "position:fixed;bottom:84px;right:20px;width:min(400px,calc(100vw - 40px));" +
    "height:min(640px,calc(100vh - 110px));border:1px solid #c9d1da;border-radius:10px;" +
    "box-shadow:0 6px 24px rgba(0,0,0,.2);background:#fff;z-index:2147483646;");

  const launcher = document.createElement("button");
  launcher.id = "poplit-launcher";
  launcher.type = "button";
  launcher.textContent = "Chat about knee pain";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "poplit-frame");
  launcher.setAttribute("style", "position:fixed;bottom:20px;right:20px;padding:12px 18px;border:0;" +
    "border-radius:24px;background:#1d5fa8;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;" +
    "z-index:2147483647;");
  launcher.addEventListener("click", () => {
    frame.hidden = !frame.hidden;
    launcher.setAttribute("aria-expanded", String(!frame.hidden));
    launcher.textContent = frame.hidden ? "Chat about knee pain" : "Close chat";
    if (!frame.hidden) frame.focus();
  });

  // With `async` the snippet may run before <body> exists (placed in <head>).
  const attach = () => {
    document.body.appendChild(frame);
    document.body.appendChild(launcher);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", attach);
  else attach();
})();
