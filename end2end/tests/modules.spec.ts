// The console's code comes in two modules: the main one every page loads (the frame, the lists,
// signing in) and the pages fetched later (editors, an entity's page, history, publications…).
// A first visit to a list downloads only the main module; a page that needs the other names it
// in its HTML so the browser fetches both at once; moving from a list to such a page in the
// browser fetches it then. Each is served under a name that holds its content's hash.
import { test, expect, hydrated, demoURL } from './fixtures';
import type { Page } from '@playwright/test';

test.use({ baseURL: demoURL });

/** The console's modules this tab has asked for, by the start of their names. */
function modulesFetched(page: Page) {
  const fetched: string[] = [];
  page.on('request', (request) => {
    const name = new URL(request.url()).pathname.split('/').pop() ?? '';
    if (name.endsWith('.wasm')) fetched.push(name);
  });
  return () => fetched.map((name) => (name.startsWith('split_') ? 'later' : name.startsWith('strata.') ? 'main' : name));
}

test('a first visit to a list loads only the main module, and the pages fetched later come when opened', async ({ page }) => {
  const fetched = modulesFetched(page);
  await page.goto('/tenants');
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  expect(fetched()).toEqual(['main']);
  await page.evaluate(() => ((window as any).__sameDocument = true));

  // Opened from the list in the browser: the later module arrives, and the page works. While
  // it is on its way (held back here), the frame says a page is opening.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/split_*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await expect(page.getByTestId('opening')).toHaveText('');
  await page.getByTestId('list').getByRole('link', { name: 'acme-berlin', exact: true }).click();
  await expect(page.getByTestId('opening')).toHaveText('Opening…');
  release();
  await expect(page).toHaveURL(/\/tenants\/acme-berlin$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('acme-berlin');
  await expect(page.getByTestId('opening')).toHaveText('');
  await page.getByTestId('delete-open').click();
  await expect(page.getByLabel('Why delete it?')).toBeVisible();
  expect(fetched()).toEqual(['main', 'later']);
  // No page load happened on the way.
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // Another page fetched later needs no more code.
  await page.getByRole('link', { name: 'History' }).first().click();
  await expect(page).toHaveURL(/\/history/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('History');
  expect(fetched()).toEqual(['main', 'later']);
});

test('a page fetched later is named in its HTML, so both modules load at once, and it wakes up', async ({ page, request }) => {
  const html = await (await request.get('/tenants/acme-berlin')).text();
  const later = html.match(/<link [^>]*href="(\/pkg\/split_[a-z0-9_]+\.[0-9a-f]{16}\.wasm)"[^>]*>/);
  expect(later?.[0]).toContain('rel="preload"');
  expect(later, 'the later module is preloaded').not.toBeNull();
  // A list's HTML names only the main module.
  expect(await (await request.get('/tenants')).text()).not.toContain('split_');

  const fetched = modulesFetched(page);
  // The later module comes a second after the main one: the page says it is awake only once
  // its own code is there, so the first click after that counts (found by a stranger's trial:
  // it was lost).
  await page.route('**/pkg/split_*.wasm', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await route.continue();
  });
  await page.goto('/tenants/acme-berlin');
  await hydrated(page);
  await page.getByTestId('delete-open').click();
  await expect(page.getByLabel('Why delete it?')).toBeVisible();
  expect(fetched().sort()).toEqual(['later', 'main']);

  // Served compressed and kept a year, as its name holds its content.
  const response = await request.get(later![1], { headers: { 'accept-encoding': 'br' } });
  expect(response.headers()['content-encoding']).toBe('br');
  expect(response.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(response.headers()['content-type']).toBe('application/wasm');
});

test('when the later module cannot be fetched on the way to a page, the page opens from the server', async ({ page, expectProblem }) => {
  expectProblem(/split_later_pages\.[0-9a-f]{16}\.wasm|failed to load split module|Failed to fetch/);
  await page.goto('/tenants');
  await hydrated(page);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  // Every try fails until the browser loads a whole page (the console tries twice: once on the
  // way, once to show the page).
  let refused = 0;
  let wholePage = false;
  page.on('request', (request) => {
    if (request.isNavigationRequest()) wholePage = true;
  });
  await page.route('**/pkg/split_*.wasm', async (route) => {
    if (wholePage) return route.continue();
    refused += 1;
    await route.abort('connectionreset');
  });
  await page.getByTestId('list').getByRole('link', { name: 'acme-berlin', exact: true }).click();
  // A whole page load: the server renders the page and the module comes again.
  await expect(page).toHaveURL(/\/tenants\/acme-berlin$/);
  await hydrated(page);
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBeUndefined();
  await page.getByTestId('delete-open').click();
  await expect(page.getByLabel('Why delete it?')).toBeVisible();
  expect(refused).toBeGreaterThan(0);
  // Back leads to the list, as after any other page.
  await page.goBack();
  await expect(page).toHaveURL(/\/tenants$/);
});

test('reaching for a link to another page fetches the later module before the click', async ({ page }) => {
  const fetched = modulesFetched(page);
  await page.goto('/tenants?per=10');
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  // The list's own pager is the same page: nothing more is fetched.
  await page.getByRole('link', { name: 'Next →' }).hover();
  await page.waitForTimeout(300);
  expect(fetched()).toEqual(['main']);
  // The pointer over a tenant's link is enough; by the click the module is there.
  await page.getByTestId('list').getByRole('link', { name: 'acme-berlin', exact: true }).hover();
  await expect.poll(fetched).toEqual(['main', 'later']);
  await page.getByTestId('list').getByRole('link', { name: 'acme-berlin', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('acme-berlin');
  expect(fetched()).toEqual(['main', 'later']);
});
