// The sections' lists against the demo domain (40 tenants): paged, searched and sorted on the
// server, with the state in the URL; each row opens the entity's page with its history.
import { test, expect, hydrated, screenshot, demoURL } from './fixtures';

test.use({ baseURL: demoURL });

test('a list is rendered on the server, page by page, before any script runs', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/tenants?per=10&page=4');
  await expect(page.getByTestId('list-summary')).toHaveText('31–40 of 40');
  await expect(page.getByTestId('list').locator('tbody tr')).toHaveCount(10);
  await expect(page.getByRole('link', { name: 'Next →' })).toHaveCount(0);
  // A page past the last says so, and leads back to the last one.
  await page.goto('/tenants?per=10&page=9');
  await expect(page.getByTestId('list-summary')).toHaveText('Past the last page: 40 in all.');
  await expect(page.getByTestId('list').locator('tbody tr')).toHaveCount(0);
  await expect(page.getByRole('link', { name: '← Previous' })).toHaveAttribute('href', /page=4(&|$)/);
  await page.goto('/tenants?per=10&page=4');
  // The search form works as a plain GET form too.
  await page.getByLabel('Search').fill('BERLIN');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/tenants\?q=BERLIN&per=10$/);
  await expect(page.getByTestId('list-summary')).toHaveText('1–2 of 2');
  await context.close();
});

test('tenants page, sort and search in place once hydrated', async ({ page }) => {
  await page.goto('/tenants?per=10');
  await hydrated(page);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  const rows = page.getByTestId('list').locator('tbody tr');
  await expect(page.getByTestId('list-summary')).toHaveText('1–10 of 40');
  await expect(rows.first()).toHaveAttribute('data-key', 'acme-amsterdam');

  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByTestId('list-summary')).toHaveText('11–20 of 40');

  // The name heading sorts by name already: a click turns the order round, from page 1.
  const heading = page.getByTestId('list').locator('thead th').first();
  await expect(heading).toHaveAttribute('aria-sort', 'ascending');
  await heading.getByRole('link', { name: /^Name/ }).click();
  await expect(heading).toHaveAttribute('aria-sort', 'descending');
  await expect(page.getByTestId('list-summary')).toHaveText('1–10 of 40');
  await expect(rows.first()).toHaveAttribute('data-key', 'glx-rome');

  // A state badge and a search by state.
  await page.getByLabel('Search').fill('disabled');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('list-summary')).toHaveText('1–1 of 1');
  await expect(rows.first().locator('.badge')).toHaveText('disabled');
  await page.getByLabel('Search').fill('no such tenant');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('list-summary')).toHaveText('Nothing matches “no such tenant”.');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test('every section lists its entities and a row opens the entity with its history', async ({ page }) => {
  for (const [section, count] of [['tiers', 3], ['organizations', 2], ['products', 3], ['deployables', 6]] as const) {
    await page.goto(`/${section}`);
    await expect(page.getByTestId('list-summary')).toHaveText(`1–${count} of ${count}`);
  }
  await page.goto('/tenants?q=berlin');
  await hydrated(page);
  await page.getByRole('link', { name: 'acme-berlin', exact: true }).click();
  await expect(page).toHaveURL(/\/tenants\/acme-berlin$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('acme-berlin');
  await expect(page.getByTestId('fields')).toContainText('LIVE');
  const history = page.getByTestId('history').locator('tbody tr');
  await expect(history).toHaveCount(1);
  await expect(history.first()).toContainText('create');
  await expect(history.first()).toContainText('e2e');
  await screenshot(page, 'tenant');
  await page.getByRole('link', { name: 'Tenants' }).first().click();
  await expect(page).toHaveURL(/\/tenants$/);
  await screenshot(page, 'tenants');
});

test('an entity that never existed is a 404 page', async ({ page, expectProblem }) => {
  expectProblem(/acme-atlantis|status of 404/);
  const response = await page.goto('/tenants/acme-atlantis');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Not found');
});

test('the pager leads to the first and the last page, and only the section is marked as the current page', async ({ page }) => {
  await page.goto('/tenants?per=10&page=2');
  await hydrated(page);
  const pager = page.getByRole('navigation', { name: 'Pages' });
  await expect(pager.getByRole('link')).toHaveText(['← Previous', 'Next →', 'Last »']);
  await expect(pager.getByRole('link', { name: 'Last »' })).toHaveAttribute('href', /page=4(&|$)/);
  await expect(pager).toContainText('page 2 of 4');
  // Sort headings and pager links lead to this same path: none is "the current page".
  await expect(page.locator('main [aria-current="page"]')).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Sections' }).locator('[aria-current="page"]')).toHaveText('Tenants');

  await page.goto('/tenants?per=10&page=9');
  await expect(pager.getByRole('link')).toHaveText(['« First', '← Previous']);
  await expect(pager).toContainText('past the last page, 4');
});
