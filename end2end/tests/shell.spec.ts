// The console's shell: server-rendered first paint, hydration, a server function round trip,
// client-side navigation, and the narrow-window menu.
import { test, expect, hydrated, screenshot, demoURL } from './fixtures';

test('the home page is rendered on the server before any script runs', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId('domain-name')).toHaveText('Strata');
  await expect(page.getByTestId('revision')).toHaveText('0');
  await expect(page.getByRole('navigation', { name: 'Sections' })).toContainText('Publications');
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  await context.close();
});

test('the console hydrates and "Check again" asks the server anew', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const checkedAt = page.getByTestId('checked-at');
  const first = await checkedAt.getAttribute('datetime');
  expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  // Only hydrated code can handle this click; it calls the overview server function again.
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/overview') && r.status() === 200);
  await page.getByTestId('check-again').click();
  await answered;
  await expect(checkedAt).not.toHaveAttribute('datetime', first!);
  await expect(page.getByTestId('components')).toContainText('SQLite');
  await screenshot(page, 'home');
});

test('the overview server function answers JSON', async ({ request, baseURL }) => {
  // As the console's pages send it: from the console's origin, with the session cookie.
  const response = await request.post('/api/overview', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', Origin: baseURL! },
    data: '',
  });
  expect(response.status()).toBe(200);
  const overview = await response.json();
  expect(overview.revision).toBe(0);
  expect(overview.health.database.state).toBe('up');
  expect(overview.health.origin.state).toBe('up');
  expect(overview.person.name).toBe(process.env.STRATA_E2E_USER);
});

test('sections open without a page load and unknown pages say so', async ({ page, expectProblem }) => {
  await page.goto('/');
  await hydrated(page);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.getByRole('link', { name: 'Tenants' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tenants');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
  await expect(page).toHaveTitle('Tenants · Strata');

  expectProblem(/no-such-page|status of 404/);
  const missing = await page.goto('/no-such-page');
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Not found');
});

test('on a narrow window the sections fold into a menu', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 420, height: 800 } });
  const page = await context.newPage();
  await page.goto('/');
  await hydrated(page);
  const sections = page.getByRole('navigation', { name: 'Sections' });
  await expect(sections).toBeHidden();
  await page.getByRole('button', { name: 'Show or hide the sections' }).click();
  await expect(sections).toBeVisible();
  await screenshot(page, 'home-narrow-menu');
  await sections.getByRole('link', { name: 'Tiers' }).click();
  await expect(sections).toBeHidden();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tiers');
  await context.close();
});

test('the publications page hydrates and says when nothing was committed yet', async ({ page }) => {
  await page.goto('/publications');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Publications' })).toBeVisible();
  await expect(page.getByTestId('no-publications')).toContainText('No revision was committed yet');
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/publications') && r.status() === 200);
  await page.getByTestId('refresh').click();
  await answered;
  await page.getByTestId('publish-now').click();
  await expect(page.getByTestId('publish-answer')).toHaveText('No revision was committed yet: nothing to publish.');
});

test.describe('on the demo domain', () => {
  test.use({ baseURL: demoURL });

  test('every section opens from the sidebar after hydration, and answers without an error', async ({ page }) => {
    await page.goto('/');
    await hydrated(page);
    const sections = page.getByRole('navigation', { name: 'Sections' });
    const names = await sections.getByRole('link').allTextContents();
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      await sections.getByRole('link', { name, exact: true }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
      // Whatever the page asks its server functions must answer; the fixture fails on any 4xx/5xx.
      await page.waitForLoadState('networkidle');
      await expect(page.locator('.notice.error, .failure')).toHaveCount(0);
    }
  });
});
