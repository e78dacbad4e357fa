// A change published and then undone for the whole domain: the publications page compares two
// revisions entity by entity, and restores the domain to the revision before the change after
// showing what the restore changes; each new revision is watched until it is published.
import { test, expect, hydrated, screenshot, editedURL } from './fixtures';

test.use({ baseURL: editedURL });

test('publish a change, compare two revisions, restore the domain to the one before', async ({ page }) => {
  await page.goto('/publications');
  await hydrated(page);
  const table = page.getByTestId('publications');
  const before = Number(await table.locator('tbody tr').first().getAttribute('data-revision'));

  await page.goto('/tiers/DEV/edit');
  await hydrated(page);
  await page.getByLabel('Display name').fill('Development (shared)');
  await page.getByTestId('save').click();
  await page.getByLabel('Why are you making this change?').fill('DEV is shared now');
  await page.getByTestId('confirm-save').click();
  await expect(page).toHaveURL(/\/tiers\/DEV$/);

  await page.getByRole('link', { name: 'Publications' }).click();
  await hydrated(page);
  const changed = before + 1;
  await expect(table.locator(`tr[data-revision="${changed}"] .badge`)).toHaveText('published', { timeout: 20_000 });

  await page.getByLabel(`Compare from revision ${before}`).check();
  await page.getByLabel(`Compare to revision ${changed}`).check();
  const diff = page.getByTestId('revision-diff');
  await expect(diff.getByTestId('revision-diff-summary')).toHaveText('1 entity differs.');
  await diff.locator('summary', { hasText: 'tier DEV' }).click();
  await expect(diff.getByRole('row', { name: /\/display_name "Development" "Development \(shared\)"/ })).toBeVisible();

  await page.getByTestId(`restore-${before}`).click();
  const restore = page.getByTestId('restore');
  await expect(restore.getByTestId('revision-diff-summary')).toHaveText('1 entity differs.');
  // The panel opens below the table, in view and focused, with what changes already open.
  const heading = restore.getByRole('heading', { name: `Restore the domain to revision ${before}` });
  await expect(heading).toBeFocused();
  await expect(heading).toBeInViewport();
  await expect(restore.getByRole('row', { name: /\/display_name "Development \(shared\)" "Development"/ })).toBeVisible();
  await screenshot(page, 'restore-preview');
  await restore.getByLabel('Why restore?').fill('DEV is not shared after all');
  await page.getByTestId('confirm-restore').click();
  const restored = changed + 1;
  await expect(page.getByTestId('toasts')).toContainText(`Restored the domain to revision ${before}, as revision ${restored}.`);
  // The header reads the domain's revision again after a finished action.
  await expect(page.locator('.topbar .revision')).toHaveText(`revision ${restored}`);
  await expect(table.locator(`tr[data-revision="${restored}"] .badge`)).toHaveText('published', { timeout: 20_000 });
  await screenshot(page, 'restored');

  // The restore and the publications are in the audit log.
  await page.goto('/history');
  await hydrated(page);
  const events = page.getByTestId('audit-events');
  await expect(events.locator(`tr[data-action="restore"]`).first()).toContainText(`${restored}`);
  await expect(events.locator(`tr[data-action="publish"]`).first()).toContainText('succeeded');

  await page.goto('/tiers/DEV');
  await expect(page.getByTestId('fields')).toContainText('Development');
  await expect(page.getByTestId('history').locator('tbody tr').first()).toContainText('restore');
});
