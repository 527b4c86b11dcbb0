// Opens a stance report in headless Chromium (driven through playwright-core) and checks it
// after its scripts ran. Exits 1 with a list of failures when any check fails.
//
// node check.mjs REPORT.html EXPECTED.json SCREENSHOT.png CASE
//   EXPECTED.json: {"actors", "edges", "names", "violations", "colliding", "flagged_edges",
//                   "verdicts"} from expected.py
//   CASE: "example", "hostile" or "time" (the example with --with-time: EXPECTED.json also has
//         "by_day", from expected_time.py) (which claim to expand, which texts to look for)

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
// The drawn edges not hidden, as "relation|actor|actor" (actors in name order), sorted.
function visibleEdges(page) {
  return page.$$eval("#network .edge", (es) => {
    const name = (id) => document.querySelector(`#network .actor[data-id="${id}"]`).dataset.name;
    return es
      .filter((e) => getComputedStyle(e).display !== "none")
      .map((e) => [e.dataset.relation, ...[name(e.dataset.a), name(e.dataset.b)].sort()].join("|"))
      .sort();
  });
}
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
  const row = page.locator("#claims details[data-proof] > summary", { hasText: claim }).first();
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
    const closed = page.locator("#claims details[data-proof]:not([open]) > summary");
    for (let left = await closed.count(); left > 0; left--) await closed.first().click();
    // `toggle` events are dispatched as tasks: wait for the last trees to be built.
    const built = await page
      .waitForFunction(() => document.querySelectorAll("#claims details[data-proof][open] > ul.proof.tree").length === document.querySelectorAll("#claims details[data-proof]").length, null, { timeout: 5000 })
      .then(() => true, () => false);
    check(built, "every proof expanded");
  }
  const scripts = await page.locator("script").count();
  // The navigation bar's links to the page's own sections are the only links.
  const images = await page.locator("img, iframe, object, embed, a[href]:not(nav a[href^='#'])").count();
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

  // Time (report --with-time): at each stop of the day slider the picture shows the drawn
  // edges that `stance graph --as-of DAY` draws, and no other; the buttons step; a claim's
  // held cell opens onto its timeline.
  if (expected.by_day) {
    const days = await page.$eval("#stance-data", (s) => JSON.parse(s.textContent).time.days);
    check(days.length > 0 && JSON.stringify(days) === JSON.stringify(Object.keys(expected.by_day).sort()), `the slider stops on ${days.length} days`);
    const drawn = await visibleEdges(page);
    for (let i = 0; i < days.length; i++) {
      await page.$eval("#day", (s, v) => { s.value = String(v); s.dispatchEvent(new Event("input")); }, i);
      const shown = await visibleEdges(page);
      const want = expected.by_day[days[i]].filter((e) => drawn.includes(e)).sort();
      check(JSON.stringify(shown) === JSON.stringify(want), `as of ${days[i]}: ${shown.length} edges shown, those of stance graph --as-of (${want.length})`);
    }
    await page.$eval("#day", (s) => { s.value = s.max; s.dispatchEvent(new Event("input")); });
    check((await visibleEdges(page)).length === drawn.length, "the last stop shows every edge");
    await page.click("#day-prev");
    const label = await page.locator("#day-label").innerText();
    check(label.startsWith(days[days.length - 1]), `the earlier button steps back to ${days[days.length - 1]} (${label})`);
    await page.click("#day-next");
    check((await page.locator("#day-label").innerText()).startsWith("every day"), "the later button steps on to every day");
    await page.locator("#claims td.held details > summary").first().click();
    const timeline = await page.locator("#claims td.held details[open] pre").first().innerText();
    check(/(opened|closed) by the (start|end) of/.test(timeline) && /stated in \S+\.csv:\d+/.test(timeline), "a claim's held cell opens onto its timeline and statements");
  }

  // Contradictions, counted and described by `stance contradictions --format json`.
  const boxes = page.locator("#contradictions .violation");
  check((await boxes.count()) === expected.violations, `${await boxes.count()} contradictions shown, expected ${expected.violations}`);
  const stat = await page.locator(".stat", { hasText: "contradictions" }).innerText();
  check(stat.startsWith(String(expected.violations)), `the summary counts ${expected.violations} contradictions (${stat.replace(/\s+/g, " ")})`);
  const flagged = await page.locator("#network .edge.flagged").count();
  check(flagged === expected.flagged_edges, `${flagged} edges flagged, expected ${expected.flagged_edges}`);
  const shown = await page.$$eval("#contradictions .violation", (vs) => vs.map((v) => ({ text: v.innerText, trees: v.querySelectorAll("ul.proof.tree").length })));
  expected.colliding.forEach((atoms, i) => {
    const box = shown[i] || { text: "", trees: 0 };
    check(box.trees === atoms.length, `contradiction ${i + 1} shows the proofs of its ${atoms.length} colliding tuples (${box.trees})`);
    check(atoms.every((a) => box.text.includes(a)), `contradiction ${i + 1} names ${atoms.join(", ")}`);
    check(/stated in \S+\.csv:\d+/.test(box.text), `contradiction ${i + 1}'s proofs go down to the CSV rows`);
  });

  // Claim verdicts (report --claims), as `stance review --format json` gives them: a card
  // per claim with a badge, and the proof of a claim that holds as a nested list.
  const verdicts = await page.$$eval("#verdicts .verdict", (cs) => cs.map((c) => [c.querySelector(".concl").innerText.trim(), c.querySelector(".badge").innerText.trim()]));
  if (expected.verdicts) {
    check(verdicts.length === expected.verdicts.length, `${verdicts.length} claim verdict cards, expected ${expected.verdicts.length}`);
    expected.verdicts.forEach((want, i) => {
      const [claim, verdict] = verdicts[i] || ["", ""];
      check(claim === want.claim && verdict === want.verdict, `verdict ${i + 1}: ${want.claim} is ${want.verdict} (shown: ${claim} ${verdict})`);
    });
    const passed = expected.verdicts.filter((v) => v.passed).length;
    const stats = await page.$$eval(".stat", (ss) => ss.map((s) => s.innerText.replace(/\s+/g, " ").trim()));
    check(stats.includes(`${passed} claims passed`) && stats.includes(`${expected.verdicts.length - passed} claims failed`), `the summary counts ${passed} claims passed (${stats.join(", ")})`);
    // Expanding a verdict's proof: a tree in monospace whose facts quote their rows.
    const proof = page.locator("#verdicts details[data-verdict] > summary").nth(1);
    await proof.click();
    const vtree = page.locator("#verdicts details[data-verdict][open] > ul.proof.tree").first();
    await vtree.waitFor({ timeout: 5000 });
    const quotes = await vtree.locator("blockquote.quote").count();
    const font = await vtree.evaluate((t) => getComputedStyle(t).fontFamily);
    const nested = await vtree.locator("details").count();
    check(quotes > 0 && /mono|Menlo|Consolas/.test(font) && nested > 0, `a verdict's proof expands into a nested list in monospace (${nested} steps) with ${quotes} block quotes`);
  } else {
    check(verdicts.length === 0, "no claim verdicts without --claims");
  }

  // Filtering by relation hides exactly that relation's edges.
  const relation = await page.$eval("#network .edge", (e) => e.dataset.relation);
  const filter = page.locator(`input[data-relation-filter="${relation}"]`);
  const ofRelation = await page.$$eval("#network .edge", (es, r) => es.filter((e) => e.dataset.relation === r).length, relation);
  await filter.uncheck();
  const hidden = await page.$$eval("#network .edge", (es) => es.filter((e) => getComputedStyle(e).display === "none").map((e) => e.dataset.relation));
  check(hidden.length === ofRelation && hidden.every((r) => r === relation), `unticking ${relation} hides its ${ofRelation} edges and no other (${hidden.length} hidden)`);
  await filter.check();
  const back = await page.$$eval("#network .edge", (es) => es.filter((e) => getComputedStyle(e).display === "none").length);
  check(back === 0, "ticking it again shows them");

  // Searching an actor marks it and highlights its edges, with their labels.
  const target = kind === "hostile" ? expected.names[0] : "Haftar";
  await page.mouse.move(0, 0);
  await page.fill("#actor-search", target);
  const matches = await page.$$eval("#network .actor.match", (as) => as.map((a) => a.dataset.name));
  const targetId = await page.$eval("#network .actor.match", (a) => a.dataset.id);
  const itsEdges = await page.$$eval("#network .edge", (es, id) => es.filter((e) => e.dataset.a === id || e.dataset.b === id).length, targetId);
  const litNow = await page.locator("#network .edge.hl").count();
  const labelled = await page.$$eval("#network .elabel", (ls) => ls.filter((l) => getComputedStyle(l).display !== "none").length);
  check(matches.includes(target) && litNow === itsEdges && labelled === itsEdges, `searching "${target}" finds it (${matches.length} found) and labels its ${itsEdges} edges (${litNow} lit, ${labelled} labels)`);
  await page.fill("#actor-search", "");

  // With every label shown, at two widths, no two label boxes intersect.
  await page.check("#all-labels");
  for (const width of [1400, 900]) {
    await page.setViewportSize({ width, height: 820 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const boxes = await page.$$eval("#network .actor text, #network .elabel", (ts) =>
      ts.filter((t) => getComputedStyle(t).display !== "none").map((t) => { const b = t.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom, t.textContent]; }));
    let overlaps = [];
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) overlaps.push(`${a[4]} / ${b[4]}`);
      }
    check(boxes.length === actors + edges, `at ${width}px every label is shown (${boxes.length} of ${actors + edges})`);
    check(overlaps.length === 0, `at ${width}px no two label boxes intersect (${overlaps.length}: ${overlaps.slice(0, 5).join("; ")})`);
    await page.evaluate(() => document.getElementById("network").scrollIntoView());
    await page.screenshot({ path: screenshot.replace(/\.png$/, `-labels-${width}.png`), fullPage: false });
  }
  await page.uncheck("#all-labels");
  await page.setViewportSize({ width: 1100, height: 820 });

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
  await page.locator("#claims details[data-proof][open]").first().screenshot({ path: proofShot });
  console.log(`screenshot: ${proofShot}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`${failures.length} browser check(s) failed in ${report}`);
  process.exit(1);
}
