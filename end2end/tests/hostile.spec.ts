// Hostile text in every text a person can write — display names, a tier deployable's reason and
// release, config values and keys, a schema's titles, descriptions and choices, the reasons of
// changes, a person's name — stored through the API, then every page that shows it opened in
// Chromium. No dialog may open, no element the text spells may appear, no script may run (the
// pages' Content-Security-Policy reports one as a console error, which fails the test), and the
// text shows exactly as typed. On a server of its own, whose signed-in person is named in markup.
import { readFileSync } from 'fs';
import { APIRequestContext, Page, request } from '@playwright/test';
import { test, expect, hydrated, screenshot } from './fixtures';
import { signedInState } from '../global-setup';

const hostileURL = process.env.STRATA_HOSTILE_URL ?? '';
test.use({ baseURL: hostileURL });

/** The corpus: one value per line, `# ` comments, escapes decoded. */
function corpus(): string[] {
  return readFileSync(`${__dirname}/hostile-text.txt`, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('# '))
    .map((line) =>
      line.replace(/\\(u\{[0-9A-Fa-f]+\}|n|t|r|0|\\)/g, (_, e: string) => {
        if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
        return { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\' }[e] as string;
      }),
    );
}

const ALL = corpus();
/** What a display name may hold: one line of at most 80 characters, no control characters. */
const ONE_LINE = ALL.filter((t) => t.trim() !== '' && [...t].length <= 80 && !/\p{Cc}/u.test(t));
/** What an HTTP header carries as it is (the reasons of changes made through the API). */
const HEADER_SAFE = ONE_LINE.filter((t) => /^[\x20-\x7e]+$/.test(t));
/** No database keeps a NUL: the API refuses it (tested elsewhere). */
const STORABLE = ALL.filter((t) => !t.includes('\0'));
const MARKUP = ALL.filter((t) => /[<>]|javascript:/.test(t));

/** Elements or attributes only injected markup would make. */
const INJECTED = 'img[src="x"], svg[onload], iframe[srcdoc], a[href^="javascript:"]';

let api: APIRequestContext;
let reasons = 0;

/** Changes `kind/key` with `change`, saying why in a hostile reason. */
async function edit(kind: string, key: string, change: (item: any) => void) {
  const path = `/api/v1/${kind}/${encodeURIComponent(key)}`;
  const read = await api.get(path);
  expect(read.status(), `GET ${path}`).toBe(200);
  const { item } = await read.json();
  change(item);
  await write('PUT', path, item);
}

async function write(method: 'PUT' | 'POST', path: string, body: unknown) {
  const reason = HEADER_SAFE[reasons++ % HEADER_SAFE.length];
  const response = await api.fetch(path, {
    method,
    data: body,
    headers: { 'Strata-Reason': reason, Origin: hostileURL },
  });
  expect(response.status(), `${method} ${path}: ${await response.text()}`).toBeLessThan(300);
}

test.beforeAll(async () => {
  api = await request.newContext({ baseURL: hostileURL, storageState: signedInState });
  // Once per server: after a failed test Playwright starts a new worker, which comes here again.
  if ((await api.get('/api/v1/deployables/hostile-svc')).status() === 200) return;
  let i = 0;
  const next = () => ONE_LINE[i++ % ONE_LINE.length];
  for (const tier of ['DEV', 'STAGING', 'LIVE']) await edit('tiers', tier, (t) => (t.display_name = next()));
  for (const org of ['acme', 'globex']) await edit('organizations', org, (o) => (o.display_name = next()));
  for (const product of ['acme-shop', 'acme-analytics', 'glx-billing']) {
    await edit('products', product, (p) => (p.display_name = next()));
  }
  await edit('tier-deployables', 'LIVE/worker', (d) => {
    d.active = false;
    d.inactive_reason = '</textarea><img src=x onerror=alert(1)>';
    d.release = '</title><svg/onload=alert(1)>';
  });
  // A deployable whose schema is written in hostile text: a property per string, titled and
  // described with it, offering it as a choice, and free-form notes keyed by it.
  const properties: Record<string, unknown> = { notes: { type: 'object', title: '<b>notes</b>' } };
  const defaults: Record<string, unknown> = { notes: Object.fromEntries(STORABLE.map((t) => [t, t])) };
  STORABLE.forEach((text, n) => {
    properties[`p${n}`] = { type: 'string', title: text, description: text, enum: [text, 'plain'] };
    defaults[`p${n}`] = text;
  });
  await write('POST', '/api/v1/deployables', {
    name: 'hostile-svc',
    display_name: '"><img src=x onerror=alert(1)>',
    config_schema: { type: 'object', properties },
    default_config: defaults,
  });
  for (const tier of ['DEV', 'STAGING', 'LIVE']) {
    await write('POST', '/api/v1/tier-deployables', {
      tier,
      deployable: 'hostile-svc',
      active: true,
      inactive_reason: null,
      release: '<script>alert(1)</script>',
    });
  }
  await edit('products', 'acme-shop', (p) => p.deployables.push('hostile-svc'));
  await write('POST', '/api/v1/config-layers', {
    deployable: 'hostile-svc',
    scope: { kind: 'tenant', name: 'acme-berlin' },
    config: { notes: Object.fromEntries(STORABLE.map((t) => [`tenant ${t}`, t])) },
  });
});

test.afterAll(async () => {
  await api.dispose();
});

/** Opens `path`, waits for hydration, and checks nothing the text spells came alive. */
async function open(page: Page, path: string) {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(path);
  await hydrated(page);
  await expect(page.locator(INJECTED), `${path}: injected elements`).toHaveCount(0);
  expect(dialogs, `${path}: dialogs`).toEqual([]);
}

const PAGES = [
  '/',
  '/tiers',
  '/tiers/LIVE',
  '/tiers/LIVE/edit',
  '/organizations',
  '/organizations/acme',
  '/organizations/acme/edit',
  '/organizations/acme/members',
  '/products',
  '/products/acme-shop',
  '/products/acme-shop/edit',
  '/deployables',
  '/deployables/hostile-svc',
  '/deployables/hostile-svc/edit',
  '/tenants',
  '/tenants/acme-berlin',
  '/tenants/acme-berlin/edit',
  '/configs',
  '/configs/hostile-svc/default',
  '/configs/hostile-svc/tenant/acme-berlin',
  '/history',
  '/publications',
  '/people',
  '/tokens',
];

for (const path of PAGES) {
  test(`hostile text stays text on ${path}`, async ({ page }) => {
    await open(page, path);
  });
}

test('text shows exactly as typed in lists, entity pages, the form and the raw JSON', async ({ page }) => {
  await open(page, '/tiers');
  for (const name of ONE_LINE.slice(0, 3)) await expect(page.locator('main')).toContainText(name.trim());

  await open(page, '/configs/hostile-svc/default');
  for (const [n, text] of STORABLE.entries()) {
    if (text.includes('\n') || /\p{Cc}/u.test(text)) continue;
    // The property's title is its label, and its value the choice that is selected.
    const field = page.locator(`[data-pointer="/p${n}"]`);
    await expect(field.locator('label')).toContainText(text.trim());
    await expect(field.locator('select')).toHaveValue(JSON.stringify(text));
  }
  await page.getByTestId('tab-raw').click();
  const raw = JSON.parse(await page.getByTestId('raw').inputValue());
  expect(raw.notes).toEqual(Object.fromEntries(STORABLE.map((t) => [t, t])));
  await screenshot(page, 'hostile-raw-json');

  // Reached by clicking, rendered in the browser rather than on the server: the same.
  await open(page, '/configs');
  await page.locator('a[href="/configs/hostile-svc/tenant/acme-berlin"]').click();
  await expect(page).toHaveURL(/\/configs\/hostile-svc\/tenant\/acme-berlin$/);
  await page.getByTestId('tab-raw').click();
  const layer = JSON.parse(await page.getByTestId('raw').inputValue());
  expect(layer.notes['tenant </textarea><img src=x onerror=alert(1)>']).toBe('</textarea><img src=x onerror=alert(1)>');
  await expect(page.locator(INJECTED)).toHaveCount(0);
});

test('a name in the address stays text in the page', async ({ page, expectProblem }) => {
  // No such tenant: the page is a 404, as it should be.
  expectProblem(/status of 404|HTTP 404/);
  const name = '</title><img src=x onerror=alert(1)>';
  await open(page, `/tenants/${encodeURIComponent(name)}`);
  // No such tenant: the page says so, and its title is whole.
  await expect(page).toHaveTitle('Not found · Strata');
  await expect(page.locator('title')).toHaveCount(1);
});

// What the server writes, read by a browser that runs no script: hydration cannot mend it.
test.describe('as the server writes it', () => {
  test.use({ javaScriptEnabled: false });

  for (const path of ['/configs/hostile-svc/default', '/configs/hostile-svc/tenant/acme-berlin', '/deployables/hostile-svc/edit']) {
    test(`text areas hold the text as typed on ${path}`, async ({ page }) => {
      await page.goto(path);
      await expect(page.locator(INJECTED)).toHaveCount(0);
      const areas = page.locator('textarea');
      expect(await areas.count()).toBeGreaterThan(0);
      const texts = await areas.evaluateAll((all) => all.map((a) => (a as HTMLTextAreaElement).value).join('\n'));
      expect(texts).toContain('</textarea><img src=x onerror=alert(1)>');
      expect(texts).not.toContain('&lt;');
    });
  }
});
