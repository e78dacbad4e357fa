// How soon the console is usable on an ordinary connection: each page opened cold (a new
// browser context, the cache off) through Chromium's own throttling (DevTools protocol,
// Network.emulateNetworkConditions: 10 Mbit/s down and up, 40 ms round trip), and timed from
// navigation to readable (first contentful paint) and to interactive (hydrated: the app marks
// <body data-hydrated>). Also the bytes on the wire per visit, by type. Prints a table; fails
// only if a page does not hydrate. Run: scripts/e2e --config bench.config.ts
import { test, expect, Page } from '@playwright/test';

const RUNS = Number(process.env.STRATA_BENCH_RUNS ?? 5);
const PAGES = ['/tenants', '/tenants/acme-berlin', '/configs/web-api/tenant/acme-oslo'];
const LINK = { offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8 };

type Visit = { readable: number; interactive: number; bytes: Record<string, number> };

async function visit(page: Page, path: string): Promise<Visit> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', LINK);
  const types = new Map<string, string>();
  const bytes: Record<string, number> = {};
  cdp.on('Network.responseReceived', (e) => types.set(e.requestId, e.type));
  cdp.on('Network.loadingFinished', (e) => {
    const type = types.get(e.requestId) ?? 'Other';
    bytes[type] = (bytes[type] ?? 0) + e.encodedDataLength;
  });
  await page.goto(path);
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true', null, { polling: 'raf', timeout: 30_000 });
  const interactive = await page.evaluate(() => performance.now());
  const readable = await page.evaluate(
    () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
  );
  // Whatever was still on its way when the page woke up counts too.
  await page.waitForLoadState('networkidle');
  await cdp.detach();
  return { readable, interactive, bytes };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('first visits on a 10 Mbit/s, 40 ms link', async ({ browser, baseURL }) => {
  test.setTimeout(RUNS * PAGES.length * 30_000);
  const rows: string[] = [];
  for (const path of PAGES) {
    const visits: Visit[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ baseURL, storageState: '.auth/signed-in.json' });
      const page = await context.newPage();
      visits.push(await visit(page, path));
      await context.close();
    }
    const bytes = visits[0].bytes;
    const total = Object.values(bytes).reduce((a, b) => a + b, 0);
    const parts = Object.entries(bytes).map(([type, n]) => `${type} ${n}`).join(', ');
    rows.push(
      `${path}: readable ${median(visits.map((v) => v.readable)).toFixed(0)} ms, ` +
        `interactive ${median(visits.map((v) => v.interactive)).toFixed(0)} ms ` +
        `(runs: ${visits.map((v) => v.interactive.toFixed(0)).join(' ')}), ` +
        `${total} bytes on the wire (${parts})`,
    );
    expect(visits.every((v) => v.interactive > 0)).toBe(true);
  }
  console.log(`[bench] ${RUNS} cold visits per page, median\n[bench] ${rows.join('\n[bench] ')}`);
});
