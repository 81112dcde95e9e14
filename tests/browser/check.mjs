// The browser check: each page in headless Chromium at phone and desktop widths, with screenshots, axe-core, an HTML parse, the fonts drawn, the focus ring, layout shift and pictures, and the structured data and meta tags search engines read.
//
// Usage: node check.mjs BASE_URL OUT_DIR NAME=PATH...
// Prints one JSON report per page and width; tests/browser.rs judges it.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { parse } from 'parse5';

const [, , base, outDir, ...pages] = process.argv;
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WIDTHS = [[360, 740, 'phone'], [1280, 900, 'desktop']];
const FONT_DELAY_MS = 400;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // The machine's network is closed: Chromium's own background traffic would only fail.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const report = [];
for (const spec of pages) {
  const [name, urlPath] = spec.split('=');
  for (const [width, height, label] of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height } });
    // Cumulative Layout Shift as Chromium reports it, from the first paint.
    await context.addInitScript(() => {
      window.__cls = 0;
      window.__shifts = [];
      const describe = (node) => node ? `${node.nodeName}.${node.className ?? ''}:${(node.textContent ?? '').slice(0, 30)}` : '?';
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.hadRecentInput) continue;
          window.__cls += entry.value;
          window.__shifts.push({ value: entry.value, at: entry.startTime,
            sources: (entry.sources ?? []).map((s) => ({ node: describe(s.node), from: s.previousRect.y, to: s.currentRect.y })) });
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    // The web fonts arrive after the first paint, as on a slow network: the
    // race a fast loopback usually wins, made the same every run, so that a
    // layout shift when the face swaps in is caught every time.
    await context.route('**/*.woff2', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, FONT_DELAY_MS));
      await route.continue();
    });
    const page = await context.newPage();
    const response = await page.goto(base + urlPath, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    // Down the page and back, so lazy pictures load too; then every picture
    // must have loaded (a srcset naming a missing file shows here) and the
    // layout must not have moved.
    await page.evaluate(async () => {
      for (let y = 0; y <= document.documentElement.scrollHeight; y += window.innerHeight / 2) {
        window.scrollTo(0, y);
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      }
      window.scrollTo(0, 0);
    });
    await page.waitForFunction(() => [...document.images].every((img) => img.complete));
    const pictures = await page.evaluate(() => ({
      cls: window.__cls,
      shifts: window.__shifts,
      count: document.images.length,
      broken: [...document.images].filter((img) => img.naturalWidth === 0).map((img) => img.currentSrc || img.src),
      chosen: [...document.images].map((img) => img.currentSrc),
    }));
    const html = await response.text();
    const parseErrors = [];
    parse(html, { onParseError: (e) => parseErrors.push(`${e.code} at ${e.startLine}:${e.startCol}`) });
    await page.screenshot({ path: path.join(outDir, `${name}-${label}.png`), fullPage: true });

    await page.addScriptTag({ content: axeSource });
    const axe = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const serious = axe.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    const minor = axe.violations.map((v) => `${v.id} (${v.impact})`);

    // Wider than the viewport means the reader scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

    // The faces the text was actually drawn with: more than one means fallback glyphs.
    const cdp = await context.newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: 'h1, h2, h3, p, li, a, time' });
    const fonts = new Set();
    for (const nodeId of nodeIds) {
      const { fonts: used } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      for (const font of used) fonts.add(`${font.familyName}${font.isCustomFont ? ' (web font)' : ''}`);
    }

    // The first Tab lands on the skip link, which must then be visible with a ring.
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return { tag: el.tagName, text: el.textContent, outline: style.outlineStyle, outlineWidth: style.outlineWidth,
        onScreen: box.left >= 0 && box.top >= 0 && box.right <= window.innerWidth };
    });
    // What search engines and share previews read: every JSON-LD block as
    // the browser's own JSON parser reads it, and the <meta> tags by name.
    const seo = await page.evaluate(() => {
      const jsonLd = [...document.querySelectorAll('script[type="application/ld+json"]')].map((el) => {
        try { return { parsed: JSON.parse(el.textContent) }; } catch (e) { return { error: String(e) }; }
      });
      const meta = {};
      for (const el of document.querySelectorAll('meta[property], meta[name]')) {
        const key = el.getAttribute('property') ?? el.getAttribute('name');
        (meta[key] ??= []).push(el.getAttribute('content'));
      }
      const nav = [...document.querySelectorAll('header nav a')].map((a) => ({
        text: a.textContent, href: a.getAttribute('href'), current: a.getAttribute('aria-current') }));
      const links = [...document.querySelectorAll('link[rel]')].map((l) => ({ rel: l.getAttribute('rel'), href: l.href }));
      const tagLinks = [...document.querySelectorAll('a[rel="tag"]')].map((a) => a.href);
      const search = document.querySelector('header form[role="search"]');
      const searchBox = search ? { action: search.getAttribute('action'),
        labelled: !!search.querySelector('label[for="site-search-q"]') && !!search.querySelector('#site-search-q[name="q"]') } : null;
      return { jsonLd, meta, nav, links, tagLinks, searchBox };
    });
    report.push({ page: name, width, status: response.status(), parseErrors, serious, minor, overflow, fonts: [...fonts], focus, seo, pictures });
    await context.close();
  }
}
await browser.close();
console.log(JSON.stringify(report, null, 1));
