// The history (audit log) of the demo domain: the hash chain's state, every change newest
// first, filters in the URL, and each entry opening to what it changed.
import { test, expect, hydrated, screenshot, demoURL } from './fixtures';

test.use({ baseURL: demoURL });

test('the history filters by kind and key and opens each change', async ({ page }) => {
  await page.goto('/history');
  await hydrated(page);
  await expect(page.getByTestId('chain')).toContainText('verifies over all');
  await expect(page.getByTestId('audit-summary')).toHaveText(/^1–50 of \d+ changes$/);

  await page.getByLabel('Kind').selectOption('tenant');
  await page.getByLabel('Key contains').fill('berlin');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/\/history\?kind=tenant&key=berlin$/);
  await expect(page.getByTestId('audit-summary')).toHaveText('1–2 of 2 changes');

  const entry = page.getByTestId('audit').locator('li').first();
  await entry.locator('summary').click();
  const diff = entry.getByTestId('diff');
  await expect(diff).toBeVisible();
  await expect(diff).toContainText('/tier');
  await expect(diff.locator('tr.add').first()).toBeVisible();
  await screenshot(page, 'history');

  // Without scripts the same filter renders on the server.
  await page.goto('/history?actor=nobody');
  await expect(page.getByTestId('audit-summary')).toHaveText('No change matches.');
  // A page past the last says so, and leads back to the last one (the Berlin tenants' two
  // changes fill one page).
  await page.goto('/history?kind=tenant&key=berlin&page=3');
  await expect(page.getByTestId('audit-summary')).toHaveText('Past the last page: 2 changes in all.');
  await expect(page.getByRole('link', { name: '← Newer' })).toHaveAttribute('href', '/history?kind=tenant&key=berlin');
});
