// What the browser scripts (widget.mjs, check_in.mjs) share: the command line, the steps and their
// one-line JSON result, and a person's ways of using the chat page (type, click, wait for replies).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

// --name value pairs from the command line.
export function cliArgs(argv = process.argv.slice(2)) {
  return Object.fromEntries(
    argv.reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
  );
}

// Debian's chromium, headless, one page at a size where the whole chat shows.
export async function openBrowser(browserPath) {
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("dialog", (dialog) => {
    pageErrors.push(`a dialog opened: ${dialog.message()}`);
    dialog.dismiss();
  });
  return { browser, context, page, pageErrors };
}

// Named steps run in order; the first that fails ends the script with a screenshot (`failure`, in
// `out`) and one JSON line saying which step failed and why.
export function stepRunner(out, page, failure = "failure.png") {
  mkdirSync(out, { recursive: true });
  const steps = [];
  async function step(name, action) {
    try {
      await action();
      steps.push(name);
    } catch (error) {
      if (page) await page.screenshot({ path: join(out, failure), fullPage: true }).catch(() => {});
      console.log(JSON.stringify({ ok: false, steps, failed: name, error: String(error && error.stack ? error.stack : error) }));
      process.exit(1);
    }
  }
  return { steps, step };
}

// The chat page at `base` (the assistant's Rasa server), driven as a person would.
export function chatPage(page, base, token) {
  async function api(path, options = {}) {
    const separator = path.includes("?") ? "&" : "?";
    const reply = await fetch(`${base}${path}${separator}token=${encodeURIComponent(token)}`, {
      headers: { "Content-Type": "application/json" },
      ...options,
    });
    if (!reply.ok) throw new Error(`${path}: HTTP ${reply.status} ${await reply.text()}`);
    return reply.json();
  }

  const chat = () => page.locator("deep-chat");
  const sessionId = () => page.evaluate(() => window.poplitChat.sessionId);
  const slots = async () => (await api(`/conversations/${await sessionId()}/tracker`)).slots;

  async function waitForText(text, timeout = 30000) {
    await chat().getByText(text, { exact: false }).last().waitFor({ state: "visible", timeout });
  }

  async function connected() {
    await page.getByText("Connected.", { exact: false }).waitFor({ timeout: 30000 });
  }

  async function type(text) {
    const input = chat().locator("#text-input");
    await input.click();
    await input.fill(text);
    await input.press("Enter");
  }

  async function botMessageCount() {
    return page.evaluate(() => document.querySelector("deep-chat").shadowRoot.querySelectorAll(".poplit-message").length);
  }

  // Sends one turn and waits until the reply has arrived and the bot has gone quiet.
  async function turn(send) {
    const before = await botMessageCount();
    await send();
    await page.waitForFunction(
      (count) => document.querySelector("deep-chat").shadowRoot.querySelectorAll(".poplit-message").length > count,
      before,
      { timeout: 30000 },
    );
    let settled = await botMessageCount();
    for (;;) {
      await page.waitForTimeout(700);
      const now = await botMessageCount();
      if (now === settled) return;
      settled = now;
    }
  }

  return { api, chat, sessionId, slots, waitForText, connected, type, botMessageCount, turn };
}
