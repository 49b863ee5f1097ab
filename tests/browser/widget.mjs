// Drives the chat page in Debian's chromium (playwright-core, no browser download) the way a person
// would, against a running Poplit. Run by tests/e2e/test_widget_browser.py:
//   node tests/browser/widget.mjs --url http://127.0.0.1:5005 --token TOKEN --out results/browser
// Prints one JSON object: the steps passed, or the step that failed and why. Screenshots go to --out.
import { join } from "node:path";
import { chatPage, cliArgs, openBrowser, stepRunner } from "./lib.mjs";

const args = cliArgs();
const base = args.url;
const token = args.token;
const out = args.out || "results/browser";
const browserPath = args.chromium || process.env.CHROMIUM || "/usr/bin/chromium";

// How a person would answer each intake question: a button where one fits, else typed words.
const ANSWERS = {
  red_flag_screen: { click: "None of these" },
  pain_location: { click: "The hollow at the back of the knee" },
  pain_onset: { click: "It built up gradually", keyboard: true },
  pain_duration: { type: "about three weeks" },
  pain_score: { type: "4" },
  swelling: { click: "No" },
  mechanical_symptoms: { click: "None of these" },
  weight_bearing: { click: "I walk normally" },
};

const { browser, context, page, pageErrors } = await openBrowser(browserPath);
const { steps, step } = stepRunner(out, page);
const { api, chat, sessionId, slots, waitForText, connected, type, turn } = chatPage(page, base, token);

await step("page shows the safety line and the emergency number", async () => {
  await page.goto(`${base}/chat`);
  await connected();
  await page.getByText("not a diagnosis", { exact: false }).first().waitFor();
  await page.locator(".poplit-emergency").getByText("112").waitFor();
  await page.getByRole("region", { name: "Conversation with Poplit" }).waitFor();
});

await step("greeting arrives over Socket.IO", async () => {
  await turn(() => type("hi"));
  await waitForText("not a diagnosis");
});

await step("a description starts the intake with clickable choices", async () => {
  await turn(() => type("The back of my right knee has been aching"));
  await chat().locator(".poplit-choice:not([disabled])").first().waitFor({ timeout: 30000 });
  await page.screenshot({ path: join(out, "intake-question.png"), fullPage: true });
});

let clicked = 0;
await step("the intake is answered with buttons (one by keyboard) and typed words to an assessment", async () => {
  for (let answered = 0; answered < 10; answered += 1) {
    const state = await slots();
    if (state.assessment_done) break;
    const answer = ANSWERS[state.requested_slot];
    if (!answer) throw new Error(`unexpected question: ${state.requested_slot}`);
    if (answer.click) {
      const button = chat().locator(".poplit-choice:not([disabled])", { hasText: answer.click }).last();
      if (answer.keyboard) {
        await turn(async () => {
          await button.focus();
          await page.keyboard.press("Enter");
        });
      } else {
        await turn(() => button.click());
      }
      clicked += 1;
    } else {
      await turn(() => type(answer.type));
    }
  }
  const state = await slots();
  if (!state.assessment_done) throw new Error(`no assessment; slots ${JSON.stringify(state)}`);
  if (clicked < 2) throw new Error(`only ${clicked} buttons were clicked`);
  if (state.triage_level !== "self_care") throw new Error(`triage ${state.triage_level}`);
  await waitForText("at the back of your right knee");
  await page.screenshot({ path: join(out, "assessment.png"), fullPage: true });
});

await step("old choices are disabled once the conversation moves on", async () => {
  // Only the latest question's choices (here the check-ins offer) may still be clicked.
  const stale = await page.evaluate(() => {
    const groups = [...document.querySelector("deep-chat").shadowRoot.querySelectorAll(".poplit-choices")];
    return groups.slice(0, -1).flatMap((group) => [...group.querySelectorAll("button")]).filter((b) => !b.disabled).length;
  });
  if (stale !== 0) throw new Error(`${stale} old choices are still clickable`);
});

await step("a reload shows the conversation so far", async () => {
  const id = await sessionId();
  await page.reload();
  await connected();
  if ((await sessionId()) !== id) throw new Error("the session id changed on reload");
  await waitForText("The back of my right knee has been aching");
  await waitForText("at the back of your right knee");
});

await step("a proactive message appears while the page is open", async () => {
  const id = await sessionId();
  await turn(() => api(`/conversations/${id}/trigger_intent?output_channel=socketio`, {
    method: "POST",
    body: JSON.stringify({ name: "EXTERNAL_check_in" }),
  }));
  await waitForText("checking in");
  await chat().locator(".poplit-choice:not([disabled])", { hasText: "Better" }).waitFor();
});

await step("typed markup and javascript: links stay inert text", async () => {
  await turn(() => type('<img src=x onerror="window.__poplitXss=1"> [open](javascript:window.__poplitXss=2)'));
  await waitForText("<img src=x onerror=");
});

await step("markup in a bot message (forged into the tracker) stays inert after a reload", async () => {
  const forged = [
    {
      event: "bot",
      text: 'Read <img src=x onerror="window.__poplitXss=3"> and <a href="javascript:window.__poplitXss=4">this</a> javascript:window.__poplitXss=5 https://example.org/ok',
      data: { buttons: [{ title: '<img src=x onerror="window.__poplitXss=6">', payload: "javascript:alert(1)" }] },
    },
    { event: "bot", text: "A picture (the progress chart arrives like this)", data: { image: `${base}/chat/poplit-icon.svg` } },
    { event: "bot", text: "A picture with a script address", data: { image: "javascript:window.__poplitXss=7" } },
  ];
  await api(`/conversations/${await sessionId()}/tracker/events?include_events=NONE`, { method: "POST", body: JSON.stringify(forged) });
  await page.reload();
  await connected();
  await waitForText("Read <img src=x onerror=");
  await waitForText("A picture with a script address");
  // The proactive check-in's trigger is the assistant's own doing, not something the person said.
  if (await chat().getByText("EXTERNAL", { exact: false }).count()) throw new Error("the check-in trigger shows in the history");
});

await step("nothing injected ran or became a live element", async () => {
  const found = await page.evaluate(() => {
    const root = document.querySelector("deep-chat").shadowRoot;
    return {
      xss: window.__poplitXss,
      imgs: [...root.querySelectorAll("img")].filter((img) => img.getAttribute("src") === "x" || img.hasAttribute("onerror")).length,
      scriptLinks: [...root.querySelectorAll("a")].filter((a) => /^\s*javascript:/i.test(a.getAttribute("href") || "")).length,
      safeLinks: [...root.querySelectorAll("a")].filter((a) => a.getAttribute("href") === "https://example.org/ok").length,
    };
  });
  if (found.xss !== undefined) throw new Error(`injected script ran (${found.xss})`);
  if (found.imgs || found.scriptLinks) throw new Error(`live injected elements: ${JSON.stringify(found)}`);
  const pictures = await page.evaluate(() =>
    [...document.querySelector("deep-chat").shadowRoot.querySelectorAll("img.poplit-image")].map((img) => [img.getAttribute("src"), img.naturalWidth]),
  );
  if (pictures.length !== 1 || !pictures[0][0].endsWith("/chat/poplit-icon.svg") || !pictures[0][1]) {
    throw new Error(`expected one shown picture, got ${JSON.stringify(pictures)}`);
  }
  if (found.safeLinks !== 1) throw new Error(`the ordinary https link was not made a link: ${JSON.stringify(found)}`);
  // The button forged with a javascript: payload sends that text as a message; it never navigates.
  await turn(() => chat().locator(".poplit-choice:not([disabled])").last().click());
  const still = await page.evaluate(() => window.__poplitXss);
  if (still !== undefined || !page.url().startsWith(base)) throw new Error("the forged button ran or navigated");
});

await step("an emergency stands out and is announced", async () => {
  await context.clearCookies();
  await page.evaluate(() => window.localStorage.clear());
  await page.reload();
  await connected();
  await turn(() => type("my calf is swollen, hot and red and I'm suddenly short of breath"));
  const alert = chat().locator(".poplit-alert-emergency");
  await alert.waitFor({ timeout: 30000 });
  await alert.getByText("Emergency: call 112 now").waitFor();
  if ((await page.locator("#poplit-alert-announcer").getAttribute("aria-live")) !== "assertive") throw new Error("alerts not assertive");
  const announced = await page.locator("#poplit-alert-announcer").textContent();
  if (!/Emergency: call 112 now\. /.test(announced || "")) throw new Error(`alert announcer says ${announced}`);
  await page.screenshot({ path: join(out, "emergency.png"), fullPage: true });
});

await step("a red-flag word the rules cannot place asks the screening question at once, and a tapped sign escalates", async () => {
  await context.clearCookies();
  await page.evaluate(() => window.localStorage.clear());
  await page.reload();
  await connected();
  // A flight with a leg word that no rule places: the question comes first.
  await turn(() => type("flew back from spain yesterday n my leg feels rly weird"));
  const sign = chat().locator(".poplit-choice:not([disabled])", { hasText: "Swollen, red or warm calf" }).last();
  await sign.waitFor({ timeout: 30000 });
  if ((await slots()).requested_slot !== "red_flag_screen") throw new Error("the screening question was not the one asked");
  await page.screenshot({ path: join(out, "screening-question.png"), fullPage: true });
  await turn(() => sign.click());
  const alert = chat().locator(".poplit-alert-urgent, .poplit-alert-emergency").last();
  await alert.waitFor({ timeout: 30000 });
  const state = await slots();
  if (state.red_flag_screen !== "calf" || !["urgent", "emergency"].includes(state.triage_level)) {
    throw new Error(`after the tapped sign: ${JSON.stringify({ screen: state.red_flag_screen, level: state.triage_level })}`);
  }
  await page.screenshot({ path: join(out, "screening-escalation.png"), fullPage: true });
});

await step("no script errors on the page", async () => {
  if (pageErrors.length) throw new Error(pageErrors.join("\n"));
});

await step("the one-line embed opens the chat in a frame on an allowed site, and not on others", async () => {
  await page.goto(args.site);
  const launcher = page.locator("#poplit-launcher");
  await launcher.focus();
  await page.keyboard.press("Enter");
  if ((await launcher.getAttribute("aria-expanded")) !== "true") throw new Error("the launcher did not open");
  await page.frameLocator("#poplit-frame").getByText("Connected.", { exact: false }).waitFor({ timeout: 30000 });
  await page.screenshot({ path: join(out, "embedded.png") });
  // The same page under another origin (127.0.0.1 for localhost), not in POPLIT_ALLOWED_ORIGINS:
  // the browser refuses to show the frame.
  await page.goto(args.site.replace("//localhost:", "//127.0.0.1:"));
  await page.locator("#poplit-launcher").click();
  // Chromium replaces a frame it refuses (frame-ancestors) with its own error page.
  let refused = false;
  for (let waited = 0; waited < 10000 && !refused; waited += 250) {
    refused = page.frames().some((frame) => frame.url().startsWith("chrome-error://"));
    if (!refused) await page.waitForTimeout(250);
  }
  if (!refused) throw new Error(`the frame was not refused: ${page.frames().map((frame) => frame.url())}`);
  const shown = await page.frameLocator("#poplit-frame").getByText("Connected.", { exact: false }).count();
  if (shown) throw new Error("the chat opened inside a site that is not allowed to embed it");
});

await browser.close();
console.log(JSON.stringify({ ok: true, steps, screenshots: out }));
