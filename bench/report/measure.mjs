// Times a report in headless Chromium: load until the page's script ran, filtering one
// relation, and showing every edge label. Usage: node measure.mjs REPORT.html
// (PLAYWRIGHT_DIR: playwright-core, as tests/browser/run.sh installs it). Prints, not asserts.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
const { chromium } = await import(pathToFileURL(resolve(process.env.PLAYWRIGHT_DIR, "index.mjs")).href);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const t0 = Date.now();
  await page.goto(pathToFileURL(resolve(process.argv[2])).href, { waitUntil: "load" });
  console.log(`open and run the script: ${Date.now() - t0} ms`);
  const filter = await page.evaluate(() => {
    const box = document.querySelector("input[data-relation-filter]");
    const start = performance.now();
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    return performance.now() - start;
  });
  console.log(`filter one relation: ${filter.toFixed(1)} ms`);
  const labels = await page.evaluate(() => {
    const box = document.getElementById("all-labels");
    const start = performance.now();
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    return performance.now() - start;
  });
  console.log(`show and place every label: ${labels.toFixed(1)} ms`);
  console.log(await page.$eval("#network", (s) => s.getAttribute("aria-label")));
} finally {
  await browser.close();
}
