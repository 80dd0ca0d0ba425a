// The catalog page (out/index.html) in Debian's headless Chromium, driven
// by puppeteer-core (no browser download: executablePath is the system
// Chromium).  Loads the page from file://, checks that every link goes to
// an existing PDF (or an anchor on the page) and that no script is on the
// page, runs axe-core and fails on any violation, checks lang and dir on
// every section, and saves screenshots at phone and desktop widths.
//
// Usage: node catalog.mjs OUT_DIR SCREENSHOT_DIR
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [outDir, shotDir] = process.argv.slice(2);
if (!outDir || !shotDir) {
  console.error("usage: node catalog.mjs OUT_DIR SCREENSHOT_DIR");
  process.exit(2);
}
const indexPath = path.resolve(outDir, "index.html");
const failures = [];
const fail = (msg) => { failures.push(msg); console.error("FAIL: " + msg); };

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Running as root in a container: Chromium's sandbox needs user namespaces.
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"],
});
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => fail("page error: " + e.message));
  await page.setJavaScriptEnabled(true); // for axe only: the page itself has no script
  const response = await page.goto(pathToFileURL(indexPath).href, { waitUntil: "load" });
  if (!response) fail("no response for " + indexPath);

  // No JavaScript on the page itself.
  const scripts = await page.$$eval("script", (s) => s.length);
  if (scripts) fail(`the page has ${scripts} script element(s)`);

  // Every link resolves: a PDF next to the page, or an anchor on it.
  const links = await page.$$eval("a[href]", (as) =>
    as.map((a) => ({ href: a.getAttribute("href"), url: a.href, text: a.textContent.trim() })));
  let pdfs = 0;
  for (const l of links) {
    if (l.href.startsWith("#")) {
      const found = await page.$(`[id="${l.href.slice(1)}"]`);
      if (!found) fail(`anchor ${l.href} has no target`);
      continue;
    }
    if (!l.url.startsWith("file://")) { fail(`link leaves the folder: ${l.href}`); continue; }
    const file = fileURLToPath(l.url);
    if (!file.endsWith(".pdf")) { fail(`link to something other than a PDF: ${l.href}`); continue; }
    if (!fs.existsSync(file)) { fail(`broken link ${l.href} ("${l.text}")`); continue; }
    const head = Buffer.alloc(5);
    const fd = fs.openSync(file, "r");
    fs.readSync(fd, head, 0, 5, 0);
    fs.closeSync(fd);
    if (head.toString("latin1") !== "%PDF-") fail(`${l.href} is not a PDF`);
    pdfs++;
  }
  // Every PDF of the build is linked.
  const expected = fs.readdirSync(outDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(outDir, d.name)).filter((f) => f.endsWith(".pdf")));
  if (pdfs !== expected.length) fail(`${pdfs} PDF links for ${expected.length} PDFs`);

  // Sections: lang on each, dir="rtl" on right-to-left ones.
  const sections = await page.$$eval("main section", (ss) =>
    ss.map((s) => ({ id: s.id, lang: s.getAttribute("lang"), dir: s.getAttribute("dir") })));
  const languages = fs.readdirSync(outDir, { withFileTypes: true }).filter((d) => d.isDirectory());
  if (sections.length !== languages.length)
    fail(`${sections.length} language sections for ${languages.length} language folders`);
  for (const s of sections) {
    if (s.lang !== s.id) fail(`section ${s.id} has lang=${s.lang}`);
    const rtl = ["ar", "he", "fa", "ur"].includes(s.lang);
    if (rtl !== (s.dir === "rtl")) fail(`section ${s.id} has dir=${s.dir}`);
  }

  // axe-core, every rule that applies, in the page.
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { resultTypes: ["violations"] }));
  for (const v of result.violations)
    fail(`axe ${v.id} (${v.impact}): ${v.help} -- ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  console.log(`axe-core ${result.testEngine.version}: ${result.violations.length} violations, ` +
              `${result.passes ? result.passes.length : "?"} rules passed`);

  // Readable on a phone: nothing wider than the screen.
  fs.mkdirSync(shotDir, { recursive: true });
  for (const [name, width, height] of [["phone", 375, 812], ["desktop", 1280, 900]]) {
    await page.setViewport({ width, height, deviceScaleFactor: 1 });
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scroll > width) fail(`${name}: the page is ${scroll}px wide on a ${width}px screen`);
    const file = path.join(shotDir, `catalog-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshot ${file}`);
  }
  // Printable: the print style sheet applies and the page prints to PDF.
  await page.emulateMediaType("print");
  const pdf = await page.pdf({ format: "A4" });
  if (pdf.length < 1000) fail("printing the page gave an empty PDF");
  console.log(`${links.length} links checked, ${pdfs} PDFs`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`catalog: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log("catalog: OK");
