// Secret values in the browser: the demo's database passwords (sealed with the test key) show
// as masks everywhere, the layer editor offers a password field that keeps the stored value
// unless one types a new one, and a domain admin may reveal the stored value. On the server
// whose domain the journeys change.
import { test, expect, hydrated, screenshot, editedURL } from './fixtures';

test.use({ baseURL: editedURL });

const STORED = 'acme-berlin-db-password';

test('a secret is masked in the editor and the resolved config, and revealed on request', async ({ page }) => {
  await page.goto('/configs/web-api/tenant/acme-berlin');
  await hydrated(page);
  expect(await page.content()).not.toContain(STORED);
  const field = page.locator('[data-pointer="/database/password"]');
  const input = field.locator('input[type="password"]');
  await expect(input).toHaveValue('');
  await expect(input).toHaveAttribute('placeholder', 'secret set here: type to replace it');
  // Typing and clearing again leaves the stored value: the preview changes nothing.
  await input.fill('something new and long');
  await input.fill('');
  await page.getByTestId('preview').click();
  await expect(page.getByTestId('impact-summary')).toContainText("0 tenants' resolved configs change");

  await field.getByRole('button', { name: 'Reveal the stored value' }).click();
  await expect(field.getByTestId('revealed')).toHaveText(STORED);
  await screenshot(page, 'secret-revealed');

  await page.goto('/tenants/acme-berlin');
  await hydrated(page);
  const row = page.getByRole('row', { name: /\/database\/password/ }).first();
  await expect(row).toContainText('•••••• secret');
  expect(await page.content()).not.toContain(STORED);
});
