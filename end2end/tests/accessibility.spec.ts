// Every page of the console, and the panels that open on them, checked with axe-core: no
// serious or critical violation (WCAG 2.1 A and AA, and axe's best practices), on the demo
// domain after hydration.
import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';
import { test, expect, hydrated, demoURL, editedURL } from './fixtures';
import { PAGES } from './pages';

test.use({ baseURL: demoURL });


/** The serious and critical violations on the page as it is now, one line each. */
async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${page.url()}: ${v.id} (${v.impact}) on ${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

test('every page has no serious or critical accessibility violation', async ({ page, expectProblem }) => {
  test.setTimeout(PAGES.length * 10_000);
  // The page that does not exist answers 404, on purpose.
  expectProblem(/HTTP 404 for .*\/no-such-page/);
  expectProblem(/404 \(Not Found\)/);
  const found: string[] = [];
  for (const path of [...PAGES, '/no-such-page']) {
    await page.goto(path);
    await hydrated(page);
    found.push(...(await violations(page)));
  }
  expect(found).toEqual([]);
});

test('the panels that open on pages have none either', async ({ page }) => {
  // Five pages, each scanned after a panel opens: about 9 s alone, past 30 s when the machine's
  // two cores are busy with a build beside it (as on one run of scripts/test).
  test.setTimeout(90_000);
  // On the server the journeys change, with two revisions of its own to compare and restore
  // between: a tier made, then renamed.
  const api = `${editedURL}/api/v1`;
  const headers = { Origin: editedURL, 'strata-reason': 'an accessibility check' };
  const tier = { name: 'AXE', display_name: 'Axe', is_live: false, state: 'active' };
  expect((await page.request.post(`${api}/tiers`, { headers, data: tier })).status()).toBe(201);
  const renamed = { ...tier, display_name: 'Axe (renamed)' };
  const put = await page.request.put(`${api}/tiers/AXE`, { headers: { ...headers, 'if-match': '"1"' }, data: renamed });
  expect(put.status()).toBe(200);
  const found: string[] = [];
  // The config editor's impact preview.
  await page.goto(`${editedURL}/configs/web-api/tenant/acme-oslo`);
  await hydrated(page);
  await page.locator('[data-pointer="/log_level"]').getByRole('combobox').selectOption({ label: 'debug' });
  await page.getByTestId('preview').click();
  await expect(page.getByTestId('impact')).toBeVisible();
  found.push(...(await violations(page)));

  // A history entry opened.
  await page.goto('/history');
  await hydrated(page);
  await page.getByTestId('audit').locator('summary').first().click();
  found.push(...(await violations(page)));

  // Two revisions compared, and the restore preview.
  await page.goto(`${editedURL}/publications`);
  await hydrated(page);
  const newest = Number(await page.getByTestId('publications').locator('tbody tr').first().getAttribute('data-revision'));
  await page.getByLabel(`Compare from revision ${newest - 1}`).check();
  await page.getByLabel(`Compare to revision ${newest}`).check();
  await expect(page.getByTestId('revision-diff')).toBeVisible();
  found.push(...(await violations(page)));
  await page.getByTestId(`restore-${newest - 1}`).click();
  await expect(page.getByTestId('restore').getByTestId('revision-diff-summary')).toBeVisible();
  found.push(...(await violations(page)));
  expect(found).toEqual([]);
});
