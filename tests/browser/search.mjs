// The site's search and view counter in headless Chromium: what the search page shows for each query, what the static index itself answers, and the bytes a query downloads; and an article page's view count once its script has run.
//
// Usage: node search.mjs BASE_URL ARTICLE_PATH QUERY...
// Prints one JSON object; tests/it/search.rs judges it.
import { chromium } from 'playwright-core';

const [, , base, articlePath, ...queries] = process.argv;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const searches = [];
for (const query of queries) {
  // A fresh context per query, so that its downloads are counted from an empty cache.
  const context = await browser.newContext();
  const page = await context.newPage();
  let bytes = 0;
  const files = [];
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith('/pagefind/')) return;
    try {
      const body = await response.body();
      bytes += body.length;
      files.push(url.pathname);
    } catch { /* a redirect has no body */ }
  });
  await page.goto(`${base}/search/?q=${encodeURIComponent(query)}`, { waitUntil: 'load' });
  await page.waitForFunction(() => {
    const status = document.getElementById('search-status');
    return status && status.textContent && status.textContent !== 'Đang tìm…';
  }, null, { timeout: 30000 });
  const shown = await page.evaluate(() => ({
    status: document.getElementById('search-status').textContent,
    titles: [...document.querySelectorAll('#search-results .search-title a')].map((a) => a.textContent),
    marks: [...document.querySelectorAll('#search-results mark')].map((m) => m.textContent),
    scripts: document.querySelectorAll('#search-results script').length,
  }));
  // What the search page itself downloaded, before the check below asks the index for more.
  const pageBytes = bytes;
  const pageFiles = files.length;
  // The index itself, without the page's check that each result's page is still there.
  // The parts are merged as the search page merges them, newest first.
  const { parts, indexed } = await page.evaluate(async (q) => {
    const { parts } = await (await fetch('/pagefind/parts.json', { cache: 'no-cache' })).json();
    if (!parts.length) return { parts, indexed: [] };
    // A module of its own (the query string), not the one the search page
    // already merged the other years into.
    const pf = await import(`/pagefind/${parts[0]}/pagefind.js?check`);
    await pf.options({ basePath: `/pagefind/${parts[0]}/` });
    for (const part of parts.slice(1)) await pf.mergeIndex(`/pagefind/${part}/`);
    const found = await pf.search(q);
    return { parts, indexed: await Promise.all(found.results.map(async (r) => (await r.data()).url)) };
  }, query);
  searches.push({ query, ...shown, indexed, parts, bytes: pageBytes, files: files.slice(0, pageFiles) });
  await context.close();
}

let views = null;
if (articlePath) {
  // A reader's browser: the counter rightly ignores one that calls itself headless.
  const context = await browser.newContext({
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  });
  const page = await context.newPage();
  await page.goto(base + articlePath, { waitUntil: 'load' });
  await page.waitForFunction(() => {
    const box = document.querySelector('[data-views]');
    return box && !box.hidden;
  }, null, { timeout: 30000 });
  views = await page.evaluate(() => {
    const box = document.querySelector('[data-views]');
    return { text: box.textContent.replace(/\s+/g, ' ').trim(), count: box.querySelector('.views-count').textContent };
  });
  await context.close();
}
await browser.close();
console.log(JSON.stringify({ searches, views }, null, 1));
