// Journeys made with the keyboard alone: every control on the way is reached with Tab and
// used with Enter, Space or the arrow keys, never the mouse.
import { Page, Locator } from '@playwright/test';
import { test, expect, hydrated, editedURL } from './fixtures';

test.use({ baseURL: editedURL });

/** Presses Tab until `target` has the focus (at most 150 times); fails if it never does. */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 150; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target}`);
}

test('create a tier with the keyboard alone', async ({ page }) => {
  await page.goto('/tiers');
  await hydrated(page);
  await tabTo(page, page.getByTestId('new'));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/new\/tiers$/);
  await tabTo(page, page.getByLabel('Name', { exact: true }));
  await page.keyboard.type('KEYS');
  await tabTo(page, page.getByLabel('Display name'));
  await page.keyboard.type('Keyboard');
  await tabTo(page, page.getByTestId('save'));
  await page.keyboard.press('Enter');
  const reason = page.getByLabel('Why are you making this change?');
  await tabTo(page, reason);
  await page.keyboard.type('made without a mouse');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/tiers\/KEYS$/);
  await expect(page.getByTestId('toasts')).toContainText('Created tier KEYS.');
});

test('edit a layer with its preview, with the keyboard alone', async ({ page }) => {
  await page.goto('/configs/web-api/tenant/acme-berlin');
  await hydrated(page);
  const level = page.locator('[data-pointer="/log_level"]').getByRole('combobox');
  await tabTo(page, level);
  const before = await level.inputValue();
  await page.keyboard.press('ArrowDown');
  await expect(level).not.toHaveValue(before);
  await tabTo(page, page.getByTestId('preview'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('impact')).toBeVisible();
  const reason = page.getByLabel('Why are you making this change?');
  await tabTo(page, reason);
  await page.keyboard.type('a log level, by keyboard');
  await tabTo(page, page.getByTestId('save-layer'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('toasts')).toContainText('Saved the tenant acme-berlin layer');
});

test('roll an entity back with the keyboard alone', async ({ page }) => {
  // A second version to roll back from.
  await page.goto('/tiers/KEYS/edit');
  await hydrated(page);
  await tabTo(page, page.getByLabel('Display name'));
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Keyboard only');
  await tabTo(page, page.getByTestId('save'));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByLabel('Why are you making this change?'));
  await page.keyboard.type('renamed by keyboard');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('version')).toHaveText('version 2');

  await tabTo(page, page.getByTestId('roll-back-1'));
  await page.keyboard.press('Enter');
  const rollback = page.getByTestId('rollback');
  await tabTo(page, rollback.getByLabel('Why roll back?'));
  await page.keyboard.type('back to the first name');
  await tabTo(page, rollback.getByTestId('confirm-rollback'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('toasts')).toContainText('Rolled tier KEYS back to version 1: it is version 3 now.');
});
