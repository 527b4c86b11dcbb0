// Opens a stance report in headless Chromium (driven through playwright-core) and checks it
// after its scripts ran. Exits 1 with a list of failures when any check fails.
//
// node check.mjs REPORT.html EXPECTED.json SCREENSHOT.png CASE
//   EXPECTED.json: {"actors": N, "edges": M, "names": [...]} from expected.py
//   CASE: "example" or "hostile" (which claim to expand, which texts to look for)

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const [report, expectedPath, screenshot, kind] = process.argv.slice(2);
const require = createRequire(join(process.env.PLAYWRIGHT_DIR, "package.json"));
const { chromium } = require("playwright-core");
const expected = JSON.parse(readFileSync(expectedPath, "utf8"));

const failures = [];
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}

const userDataDir = mkdtempSync(join(tmpdir(), "stance-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1100, height: 820 },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
try {
  const page = context.pages()[0] || (await context.newPage());
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  const requests = [];
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) requests.push(r.url());
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: "load" });

  // The network, counted after the scripts ran.
  const actors = await page.locator("#network .actor").count();
  const edges = await page.locator("#network .edge").count();
  check(actors === expected.actors, `network has ${actors} actors, expected ${expected.actors}`);
  check(edges === expected.edges, `network has ${edges} edges, expected ${expected.edges}`);
  const names = await page.$$eval("#network .actor", (gs) => gs.map((g) => g.querySelector("text").textContent).sort());
  const wanted = [...expected.names].sort();
  check(JSON.stringify(names) === JSON.stringify(wanted), "actor labels are the actor names, as text");

  // Hovering an actor highlights exactly its edges.
  const first = page.locator("#network .actor").first();
  const id = await first.getAttribute("data-id");
  await first.hover();
  const lit = await page.locator("#network .edge.hl").count();
  const own = await page.$$eval("#network .edge", (es, id) => es.filter((e) => e.dataset.a === id || e.dataset.b === id).length, id);
  const focused = await page.$eval("#network", (s) => s.classList.contains("focus"));
  check(focused && lit === own && own > 0, `hovering actor ${id} highlights its ${own} edges (${lit} highlighted)`);

  // Expanding a claim shows its proof down to the source rows.
  const claim = kind === "hostile" ? 'aligned("<script>alert(1)</script>", "Tobruk")' : 'aligned("Egypt", "Haftar")';
  const row = page.locator("#claims details summary", { hasText: claim }).first();
  check((await row.count()) === 1, `the claims table lists ${claim}`);
  await row.click();
  const tree = page.locator("#claims details[open] ul.proof.tree").first();
  await tree.waitFor({ timeout: 5000 });
  const proofText = await tree.innerText();
  const quote = kind === "hostile" ? "He said <script>alert(1)</script> and left" : "has received backing from neighbouring Egypt";
  check(proofText.includes(quote), `the expanded proof quotes its source row: ${JSON.stringify(quote)}`);
  check(/stated in \S+statements\.csv:\d+/.test(proofText), "the expanded proof names the CSV file and line");

  // Searching filters the table.
  const term = kind === "hostile" ? "onerror" : "egypt";
  await page.fill("#search", term);
  const visible = await page.$$eval("#claims tbody tr", (rs) => rs.filter((r) => !r.hidden).map((r) => r.textContent.toLowerCase()));
  check(visible.length > 0 && visible.every((t) => t.includes(term)), `search "${term}" keeps ${visible.length} matching rows`);
  await page.fill("#search", "");

  // Nothing from the facts became markup or ran.
  if (kind === "hostile") {
    // Expand every proof: payloads in quotes, sources and dates get rendered too.
    const closed = page.locator("#claims details:not([open]) summary");
    for (let left = await closed.count(); left > 0; left--) await closed.first().click();
    // `toggle` events are dispatched as tasks: wait for the last trees to be built.
    const built = await page
      .waitForFunction(() => document.querySelectorAll("#claims details[open] ul.proof.tree").length === document.querySelectorAll("#claims details").length, null, { timeout: 5000 })
      .then(() => true, () => false);
    check(built, "every proof expanded");
  }
  const scripts = await page.locator("script").count();
  const images = await page.locator("img, iframe, object, embed, a[href]").count();
  const handlers = await page.$$eval("*", (es) => es.flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith("on")).map((a) => `${e.tagName}[${a.name}]`)));
  check(scripts === 2, `only the page's own 2 <script> elements (found ${scripts})`);
  check(images === 0, `no <img>/<iframe>/<a href> elements (found ${images})`);
  check(handlers.length === 0, `no inline event handler attributes (${handlers.join(", ")})`);
  check(dialogs.length === 0, `no alert or dialog opened (${dialogs.join(", ")})`);
  check(requests.length === 0, `no network requests (${requests.join(", ")})`);
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
  if (kind === "hostile") {
    const body = await page.locator("body").innerText();
    for (const payload of ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</script><script>alert(2)</script><!-- a comment"]) {
      check(body.includes(payload), `payload shown as text: ${payload}`);
    }
  }

  if (kind === "violations") {
    // Contradictions and claim verdicts, as filled in by examples/report_fixture.rs.
    const boxes = page.locator("#contradictions .violation");
    check(expected.violations > 0 && (await boxes.count()) === expected.violations, `${await boxes.count()} contradictions shown, expected ${expected.violations}`);
    const trees = await page.$$eval("#contradictions .violation", (vs) => vs.map((v) => v.querySelectorAll("ul.proof.tree").length));
    check(trees.length > 0 && trees.every((n) => n === 2), `each contradiction shows the proofs of its 2 colliding tuples (${trees.join(", ")})`);
    const first = await boxes.first().innerText();
    check(/stated in \S+statements\.csv:\d+/.test(first) && first.includes("engages_both_sides("), "a contradiction's proofs go down to the CSV rows");
    const flagged = await page.locator("#network .edge.flagged").count();
    check(flagged === expected.flagged_edges, `${flagged} edges flagged, expected ${expected.flagged_edges}`);
    const stat = await page.locator(".stat", { hasText: "contradictions" }).innerText();
    check(stat.startsWith(String(expected.violations)), `the summary counts ${expected.violations} contradictions (${stat.replace(/\s+/g, " ")})`);
    const verdicts = await page.$$eval("#verdicts tbody tr", (rs) => rs.map((r) => r.innerText.replace(/\s+/g, " ").trim()));
    check(verdicts.length === 2 && verdicts[0].includes("holds") && verdicts[1].includes("does not hold"), `claim verdicts shown: ${verdicts.join(" | ")}`);
  }

  // The picture for the log (and for README's docs/report.png): the network with the most
  // connected actor pinned.
  const hub = await page.$$eval("#network .edge", (es) => {
    const degree = {};
    es.forEach((e) => { degree[e.dataset.a] = (degree[e.dataset.a] || 0) + 1; degree[e.dataset.b] = (degree[e.dataset.b] || 0) + 1; });
    return Object.keys(degree).sort((a, b) => degree[b] - degree[a] || Number(a) - Number(b))[0];
  });
  await page.locator(`#network .actor[data-id="${hub}"]`).click();
  await page.mouse.move(0, 0);
  check((await page.locator("#network .actor.pinned").count()) === 1, "clicking an actor pins its highlight");
  await page.evaluate(() => document.getElementById("network-section").scrollIntoView());
  await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`screenshot: ${screenshot}`);
  const proofShot = screenshot.replace(/\.png$/, "-proof.png");
  await page.locator("#claims details[open]").first().screenshot({ path: proofShot });
  console.log(`screenshot: ${proofShot}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`${failures.length} browser check(s) failed in ${report}`);
  process.exit(1);
}
