// A follow-up check-in on the chat page, in Debian's chromium (playwright-core), against a running
// Poplit: the assessment, consent by button, then the follow-up worker run with its clock set forward
// (the command the test gives) and the check-in pushed into the page that is still open, answered,
// and its summary with the change stated; a second check-in a week on brings the pain chart.
// Run by tests/e2e/test_widget_browser.py:
//   node tests/browser/check_in.mjs --url http://127.0.0.1:5005 --token TOKEN --out results/browser \
//     --worker-cmd '["python", "-m", "bot", "followups", "run", "--once", "--now", "{now}"]'
// "{now}" in the worker command becomes the simulated time (ISO). Prints one JSON object last: the
// steps passed (with the session id), or the step that failed and why. Screenshots go to --out.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { chatPage, cliArgs, openBrowser, stepRunner } from "./lib.mjs";

const args = cliArgs();
const base = args.url;
const token = args.token;
const out = args.out || "results/browser";
const browserPath = args.chromium || process.env.CHROMIUM || "/usr/bin/chromium";
const workerCommand = JSON.parse(args["worker-cmd"] || "null");
if (!Array.isArray(workerCommand) || !workerCommand.length || !workerCommand.includes("{now}")) {
  throw new Error('--worker-cmd must be a JSON array of arguments, one of them "{now}"');
}

const DAY = 24 * 60 * 60 * 1000;
const OPENING = "the back of my right knee has ached for about three weeks, it came on gradually, about 6/10";
// The intake questions the opening leaves open, answered as a person would (the opening says 6/10).
const ANSWERS = {
  red_flag_screen: { click: "None of these" },
  pain_location: { click: "The hollow at the back of the knee" },
  pain_onset: { click: "It built up gradually" },
  pain_duration: { type: "about three weeks" },
  pain_score: { type: "6" },
  swelling: { click: "No" },
  mechanical_symptoms: { click: "None of these" },
  weight_bearing: { click: "I walk normally" },
};

const { browser, page, pageErrors } = await openBrowser(browserPath);
const { steps, step } = stepRunner(out, page, "check-in-failure.png");
const { chat, sessionId, slots, waitForText, connected, type, botMessageCount, turn } = chatPage(page, base, token);
const consoleErrors = [];
page.on("console", (message) => {
  if (message.type() === "error") consoleErrors.push(message.text());
});

const choice = (title) => chat().locator(".poplit-choice:not([disabled])", { hasText: title }).last();
const click = (title) => turn(() => choice(title).click());

// The text of the bot's messages from the `from`-th on.
async function botTexts(from) {
  return page.evaluate(
    (start) =>
      [...document.querySelector("deep-chat").shadowRoot.querySelectorAll(".poplit-message")].slice(start).map((m) => m.innerText),
    from,
  );
}

// One round of the follow-up worker with its clock at `at`; the check-in it triggers must then
// arrive in the open page by itself (Socket.IO), with nothing typed and no reload.
async function workerPushesTheCheckIn(at) {
  const before = await botMessageCount();
  const argv = workerCommand.map((arg) => (arg === "{now}" ? at.toISOString() : arg));
  let worker;
  try {
    worker = await promisify(execFile)(argv[0], argv.slice(1), { timeout: 120000 });
  } catch (error) {
    throw new Error(`the worker failed: ${error.message}\n${error.stdout || ""}\n${error.stderr || ""}`);
  }
  try {
    await page.waitForFunction(
      (count) => document.querySelector("deep-chat").shadowRoot.querySelectorAll(".poplit-message").length > count,
      before,
      { timeout: 30000 },
    );
    await waitForText("Hi, it's Poplit checking in on your knee");
  } catch (error) {
    throw new Error(`no check-in appeared after the worker at ${at.toISOString()}:\n${worker.stderr}\n${error}`);
  }
  for (const title of ["Better", "About the same", "Worse"]) await choice(title).waitFor({ timeout: 10000 });
  const marker = await page.evaluate(() => window.__poplitSamePage);
  if (marker !== "still open") throw new Error("the page was reloaded");
}

async function answerCheckIn({ change, pain, exercises, anythingNew }) {
  await click(change);
  await waitForText("How bad is the pain today");
  await turn(() => type(pain));
  await waitForText("Have you been doing the exercises?");
  await (exercises.click ? click(exercises.click) : turn(() => type(exercises.type)));
  await waitForText("Anything new since last time");
  const before = await botMessageCount();
  await (anythingNew.click ? click(anythingNew.click) : turn(() => type(anythingNew.type)));
  return botTexts(before);
}

let consentedAt;
let summary = [];
let chart;

await step("the chat page opens and connects", async () => {
  await page.goto(`${base}/chat`);
  await connected();
  await page.evaluate(() => {
    window.__poplitSamePage = "still open"; // gone if the page is ever reloaded
  });
});

await step("a description of the knee pain starts the intake", async () => {
  await turn(() => type(OPENING));
  const state = await slots();
  if (!state.requested_slot && !state.assessment_done) throw new Error(`no intake question; slots ${JSON.stringify(state)}`);
});

await step("the intake questions are answered to an assessment", async () => {
  for (let answered = 0; answered < 10; answered += 1) {
    const state = await slots();
    if (state.assessment_done) break;
    const answer = ANSWERS[state.requested_slot];
    if (!answer) throw new Error(`unexpected question: ${state.requested_slot}`);
    await (answer.click ? click(answer.click) : turn(() => type(answer.type)));
  }
  const state = await slots();
  if (!state.assessment_done) throw new Error(`no assessment; slots ${JSON.stringify(state)}`);
  if (Number(state.pain_score) !== 6) throw new Error(`the assessment's pain score is ${state.pain_score}, not 6`);
  await waitForText("at the back of your right knee");
});

await step("the check-in offer comes with its choices, and 'Yes, in 2 days' is clicked", async () => {
  await waitForText("Would you like me to check in on your knee");
  for (const title of ["Yes, in 2 days", "Yes, in a week", "No thanks"]) await choice(title).waitFor({ timeout: 10000 });
  await page.screenshot({ path: join(out, "check-in-offer.png"), fullPage: true });
  consentedAt = Date.now();
  await click("Yes, in 2 days");
  await waitForText("Great, I'll check in");
  if ((await slots()).check_ins_offered) throw new Error("the offer is still open after the consent");
});

await step("two and a half days on, the worker's check-in appears in the open page", async () => {
  await workerPushesTheCheckIn(new Date(consentedAt + 2.5 * DAY));
  await page.screenshot({ path: join(out, "check-in-question.png"), fullPage: true });
});

await step("the check-in is answered (better, 3, exercises, nothing new) and the reply states the change 6 -> 3", async () => {
  summary = await answerCheckIn({
    change: "Better",
    pain: "3",
    exercises: { click: "Yes, most days" },
    anythingNew: { type: "nothing new" },
  });
  const said = summary.join("\n");
  if (!/Your pain is 3 out of 10; .*\bit was 6\b/.test(said)) throw new Error(`the change from 6 to 3 is not stated:\n${said}`);
  if (!said.includes("I'll check in again")) throw new Error(`the next check-in is not announced:\n${said}`);
  if (await chat().locator("img.poplit-image").count()) throw new Error("a chart came with the first score");
  await page.screenshot({ path: join(out, "check-in-answered.png"), fullPage: true });
});

await step("eight days on, the second check-in appears in the same page", async () => {
  await workerPushesTheCheckIn(new Date(consentedAt + 8 * DAY));
});

await step("the second check-in is answered (about the same, 3) and its summary has the pain chart", async () => {
  summary = await answerCheckIn({
    change: "About the same",
    pain: "3",
    exercises: { type: "yes most days" },
    anythingNew: { click: "Nothing new" },
  });
  const said = summary.join("\n");
  if (!/Your pain is 3 out of 10; .*\bit was 6\b/.test(said)) throw new Error(`the change from 6 to 3 is not stated:\n${said}`);
  if (!said.includes("Here is your pain over time")) throw new Error(`no chart message:\n${said}`);
  const image = chat().locator("img.poplit-image").last();
  await image.waitFor({ timeout: 30000 });
  chart = await image.getAttribute("src");
  if (!chart.startsWith(`${base}/webhooks/charts/`) || !chart.endsWith(".png")) throw new Error(`the chart is not a signed chart link: ${chart}`);
  try {
    await page.waitForFunction(
      () => {
        const shown = [...document.querySelector("deep-chat").shadowRoot.querySelectorAll("img.poplit-image")].pop();
        return shown && shown.complete && shown.naturalWidth > 0;
      },
      null,
      { timeout: 30000 },
    );
  } catch (error) {
    const fetched = await fetch(chart).then((reply) => `HTTP ${reply.status} ${reply.headers.get("content-type")}`, String);
    throw new Error(`the chart did not load in the page (the link itself answers ${fetched}); console: ${consoleErrors.join(" | ")}\n${error}`);
  }
  const size = await image.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  if (size[0] < 100 || size[1] < 100) throw new Error(`the chart is only ${size.join(" x ")} px`);
  await image.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, "check-in-summary.png") });
});

await step("no script errors or refused loads on the page", async () => {
  const problems = [...pageErrors, ...consoleErrors];
  if (problems.length) throw new Error(problems.join("\n"));
});

const id = await sessionId();
await browser.close();
console.log(JSON.stringify({ ok: true, steps, sessionId: id, chart, summary, screenshots: out }));
