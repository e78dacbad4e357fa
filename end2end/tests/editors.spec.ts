// Journeys a product team makes in the console's editors, against the demo domain: creating
// the entities of a new product, a field error as one types, the resolved config with the
// layer of each value, the config editor's impact preview, two versions side by side and a
// roll back, and two people editing the same entity at once.
import { Page } from '@playwright/test';
import { test, expect, hydrated, screenshot, editedURL } from './fixtures';

test.use({ baseURL: editedURL });

/** Saves the open entity form with `reason` and waits for the entity's page. */
async function save(page: Page, reason: string) {
  await page.getByTestId('save').click();
  await page.getByLabel('Why are you making this change?').fill(reason);
  await page.getByTestId('confirm-save').click();
}

test('a new product: organization, tier, deployable with a schema, product and tenant', async ({ page }) => {
  await page.goto('/organizations');
  await hydrated(page);
  await page.getByTestId('new').click();
  await expect(page).toHaveURL(/\/new\/organizations$/);
  await page.getByLabel('Name', { exact: true }).fill('zeta');
  await page.getByLabel('Short name').fill('zeta');
  await page.getByLabel('Display name').fill('Zeta Ltd');
  await save(page, 'Zeta signed up');
  await expect(page).toHaveURL(/\/organizations\/zeta$/);
  await expect(page.getByTestId('toasts')).toContainText('Created organization zeta.');

  // A name that breaks its rule is marked as it is typed, before anything is sent.
  await page.goto('/new/tiers');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('sandbox');
  const nameField = page.locator('[data-field="name"]');
  await expect(nameField.locator('.field-error')).toContainText('is not valid');
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Name', { exact: true }).fill('SANDBOX');
  await expect(nameField.locator('.field-error')).toBeEmpty();
  await page.getByLabel('Display name').fill('Sandbox');
  await save(page, 'a tier for acceptance tests');
  await expect(page).toHaveURL(/\/tiers\/SANDBOX$/);

  await page.goto('/new/deployables');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('ledger');
  await page.getByLabel('Display name').fill('Ledger');
  await page.getByLabel('Config schema').fill(JSON.stringify({
    type: 'object',
    properties: {
      currency: { type: 'string', enum: ['EUR', 'USD'] },
      retries: { type: 'integer', minimum: 0, maximum: 10 },
    },
    required: ['currency'],
  }, null, 2));
  // The default must follow the schema: checked in the browser, at the field inside it.
  await page.getByLabel('Default config').fill('{"currency": "GBP"}');
  await expect(page.locator('[data-field="default_config"] .field-error')).toContainText('at /currency');
  await page.getByLabel('Default config').fill('{"currency": "EUR", "retries": 3}');
  await expect(page.locator('[data-field="default_config"] .field-error')).toBeEmpty();
  await save(page, 'the ledger service registers');
  await expect(page).toHaveURL(/\/deployables\/ledger$/);

  await page.goto('/new/products');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('zeta-ledger');
  await page.getByLabel('Organization').selectOption('zeta');
  await page.getByLabel('Display name').fill('Zeta Ledger');
  await page.getByRole('checkbox', { name: 'ledger' }).check();
  await save(page, 'Zeta buys the ledger');
  await expect(page).toHaveURL(/\/products\/zeta-ledger$/);

  await page.goto('/new/tenants');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('zeta-one');
  await page.getByLabel('Product').selectOption('zeta-ledger');
  await page.getByLabel('Tier').selectOption('SANDBOX');
  await expect(page.getByLabel('State')).toHaveValue('initializing');
  await save(page, 'first Zeta tenant');
  await expect(page).toHaveURL(/\/tenants\/zeta-one$/);
  const resolved = page.getByTestId('resolved-ledger');
  await expect(resolved.getByRole('row', { name: /\/currency "EUR" default/ })).toBeVisible();

  // Its life cycle: from initializing only "active" is offered.
  await page.getByTestId('edit').click();
  await expect(page).toHaveURL(/\/tenants\/zeta-one\/edit$/);
  await hydrated(page);
  // Reached by a link, the form draws once the tenant is read: wait for it (the page was
  // hydrated before the click already).
  await expect(page.getByLabel('State').locator('option')).toHaveText(['initializing', 'active']);
  await screenshot(page, 'tenant-edit');

  // A tier that a tenant runs on cannot be deleted; the refusal names the tenant.
  await page.goto('/tiers/SANDBOX');
  await hydrated(page);
  await page.getByTestId('delete-open').click();
  await page.getByLabel('Why delete it?').fill('not needed after all');
  await page.getByTestId('confirm-delete').click();
  await expect(page.getByTestId('delete-refused')).toContainText('zeta-one');
});

test('a tenant shows each resolved value with the layer it came from', async ({ page }) => {
  await page.goto('/tenants/acme-berlin');
  await hydrated(page);
  const config = page.getByTestId('resolved-web-api');
  await expect(config.getByRole('row', { name: /\/rate_limit\/requests_per_second 2000 tenant acme-berlin/ })).toBeVisible();
  await expect(config.getByRole('row', { name: /\/database\/host "db\.live\.internal" tier LIVE/ })).toBeVisible();
  await expect(config.getByRole('row', { name: /\/database\/port 5432 default/ })).toBeVisible();
  await expect(config.getByRole('link', { name: 'default', exact: true }).first()).toHaveAttribute('href', '/configs/web-api/default');
  await screenshot(page, 'tenant-resolved');
  await config.getByRole('link', { name: 'tier LIVE' }).first().click();
  await expect(page).toHaveURL(/\/configs\/web-api\/tier\/LIVE$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('tier LIVE');
});

test('the config editor checks values as typed and previews the impact before saving', async ({ page }) => {
  await page.goto('/configs/web-api/tenant/acme-oslo');
  await hydrated(page);
  await expect(page.getByTestId('layer-version')).toHaveText('not stored yet');
  const port = page.locator('[data-pointer="/database/port"]');
  await port.getByRole('textbox').fill('99999');
  await expect(port.locator('.field-error')).toContainText('65535');
  await expect(page.getByTestId('preview')).toBeDisabled();
  await port.getByRole('textbox').fill('');
  await expect(port.locator('.field-error')).toBeEmpty();

  await page.locator('[data-pointer="/log_level"]').getByRole('combobox').selectOption('"debug"');
  await page.getByTestId('preview').click();
  const impact = page.getByTestId('impact');
  await expect(impact.getByTestId('impact-summary')).toContainText("1 tenant's resolved config changes");
  await expect(impact.getByRole('row', { name: /\/log_level "warn" "debug"/ })).toBeVisible();
  await screenshot(page, 'config-impact');

  // The raw JSON tab edits the same layer.
  await page.getByTestId('tab-raw').click();
  await expect(page.getByTestId('raw')).toHaveValue(/"log_level": "debug"/);
  await page.getByTestId('tab-form').click();

  await page.getByLabel('Why are you making this change?').fill('debugging Oslo checkout');
  await page.getByTestId('save-layer').click();
  await expect(page.getByTestId('toasts')).toContainText('Saved the tenant acme-oslo layer as version 1.');
  await expect(page.getByTestId('layer-version')).toHaveText('version 1');
  await expect(page.getByTestId('history')).toContainText('debugging Oslo checkout');
});

test('two versions side by side, then a roll back to the first', async ({ page }) => {
  await page.goto('/tiers/STAGING/edit');
  await hydrated(page);
  await page.getByLabel('Display name').fill('Staging (EU)');
  await save(page, 'staging moved to the EU');
  await expect(page).toHaveURL(/\/tiers\/STAGING$/);
  await expect(page.getByTestId('version')).toHaveText('version 2');

  // The two newest versions are compared at once.
  const diff = page.getByTestId('diff');
  await expect(diff).toContainText('1 value differs.');
  await expect(diff.getByRole('row', { name: /\/display_name "Staging" "Staging \(EU\)"/ })).toBeVisible();
  await diff.getByTestId('show-unchanged').check();
  await expect(diff.getByRole('row', { name: /\/is_live false false/ })).toBeVisible();

  await page.getByTestId('roll-back-1').click();
  const rollback = page.getByTestId('rollback');
  await expect(rollback).toContainText('Version 2 is stored now.');
  await expect(rollback.getByRole('row', { name: /\/display_name "Staging \(EU\)" "Staging"/ })).toBeVisible();
  await rollback.getByLabel('Why roll back?').fill('the move was postponed');
  await rollback.getByTestId('confirm-rollback').click();
  await expect(page.getByTestId('toasts')).toContainText('Rolled tier STAGING back to version 1: it is version 3 now.');
  await expect(page.getByTestId('version')).toHaveText('version 3');
  await expect(page.getByTestId('fields')).toContainText('Staging');
  await expect(page.getByTestId('history').locator('tbody tr').first()).toContainText('rollback');
  await screenshot(page, 'rolled-back');
});

test('a second editor of the same entity sees what changed and can re-apply', async ({ browser }) => {
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  for (const page of [first, second]) {
    await page.goto(`${editedURL}/organizations/globex/edit`);
    await hydrated(page);
  }
  await first.getByLabel('Display name').fill('Globex Inc.');
  await save(first, 'legal name');
  await expect(first).toHaveURL(/\/organizations\/globex$/);

  await second.getByLabel('Display name').fill('Globex Corporation');
  await save(second, 'full name');
  const conflict = second.getByTestId('conflict');
  await expect(conflict).toContainText('You edited version 1; version 2 is stored now');
  await expect(conflict.getByRole('row', { name: /\/display_name "Globex" "Globex Inc\."/ })).toBeVisible();
  // Both changed the display name: nothing goes on until the person chooses.
  const both = conflict.getByTestId('merge-conflict');
  await expect(both).toHaveCount(1);
  await expect(both).toContainText('/display_name');
  await expect(conflict.getByTestId('reapply')).toBeDisabled();
  await screenshot(second, 'conflict');
  // Keeping theirs shows theirs in the form, over what was typed there.
  await both.getByTestId('keep-theirs').check();
  await conflict.getByTestId('reapply').click();
  await expect(second.getByTestId('editing-version')).toHaveText('editing version 2');
  await expect(second.getByLabel('Display name')).toHaveValue('Globex Inc.');
  await expect(second.getByTestId('toasts')).toContainText('save to write them');
  await second.getByLabel('Display name').fill('Globex Corporation');
  await save(second, 'full name, after reading the legal one');
  await expect(second).toHaveURL(/\/organizations\/globex$/);
  await expect(second.getByTestId('fields')).toContainText('Globex Corporation');
  await expect(second.getByTestId('version')).toHaveText('version 3');
});

test("keeping my edits on top of a colleague's applies only the fields I changed", async ({ browser }) => {
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  for (const page of [first, second]) {
    await page.goto(`${editedURL}/tenants/acme-dublin/edit`);
    await hydrated(page);
  }
  await first.getByLabel('Alias').fill('dub');
  await save(first, 'an alias for Dublin');
  await expect(first).toHaveURL(/\/tenants\/acme-dublin$/);

  // The second editor, still on the version both loaded, changes only the protection.
  const protectedBefore = await second.getByLabel('Termination protection').isChecked();
  await second.getByLabel('Termination protection').setChecked(!protectedBefore);
  await save(second, 'protect Dublin');
  const conflict = second.getByTestId('conflict');
  await expect(conflict).toContainText('is stored now');
  await expect(conflict.getByTestId('merge-conflicts')).toHaveCount(0);
  await conflict.getByTestId('reapply').click();
  await expect(second.getByLabel('Alias')).toHaveValue('dub');
  await expect(second.getByLabel('Termination protection')).toBeChecked({ checked: !protectedBefore });
  // A reason is any text: accents, CJK, emoji, right-to-left.
  const reason = 'protéger Dublin — 東京 🚀 שלום';
  await save(second, reason);
  await expect(second).toHaveURL(/\/tenants\/acme-dublin$/);
  await expect(second.getByTestId('history').locator('tbody tr').first()).toContainText(reason);
  const field = (name: string) => second.getByTestId('fields').locator(`dt:text-is("${name}") + dd`);
  await expect(field('alias')).toHaveText('dub');
  await expect(field('termination protection')).toHaveText(String(!protectedBefore));
});

test("a config layer saved by someone else meanwhile: only my values go on top of theirs", async ({ browser }) => {
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  for (const page of [first, second]) {
    await page.goto(`${editedURL}/configs/web-api/tenant/acme-paris`);
    await hydrated(page);
  }
  const saveLayer = async (page: Page, reason: string) => {
    await page.getByTestId('preview').click();
    await page.getByLabel('Why are you making this change?').fill(reason);
    await page.getByTestId('save-layer').click();
  };
  await first.locator('[data-pointer="/log_level"]').getByRole('combobox').selectOption('"error"');
  await saveLayer(first, 'quieter logs in Paris');
  await expect(first.getByTestId('toasts')).toContainText('Saved the tenant acme-paris layer');

  // The second editor, still on the version both loaded, sets only the database port.
  // Its preview already finds the newer version and offers to merge.
  await second.locator('[data-pointer="/database/port"]').getByRole('textbox').fill('6543');
  await second.getByTestId('preview').click();
  const conflict = second.getByTestId('conflict');
  await expect(conflict).toContainText('is stored now');
  await expect(conflict.getByTestId('merge-conflicts')).toHaveCount(0);
  await conflict.getByTestId('reapply').click();
  await saveLayer(second, 'the Paris database moved, on top of the quieter logs');
  await expect(second.getByTestId('toasts')).toContainText('Saved the tenant acme-paris layer');
  await second.getByTestId('tab-raw').click();
  const raw = JSON.parse(await second.getByTestId('raw').inputValue());
  expect(raw).toEqual({ cors_origins: ['https://shop.acme.fr'], log_level: 'error', database: { port: 6543 } });
});

test('a schema that existing configs break is refused with the tenants it would break', async ({ page }) => {
  await page.goto('/deployables/billing/edit');
  await hydrated(page);
  const schema = page.getByLabel('Config schema');
  const text = await schema.inputValue();
  await schema.fill(text.replace('"pattern": "^[A-Z]{3}$"', '"enum": ["USD"]'));
  await save(page, 'dollars only');
  const refused = page.getByTestId('refused');
  await expect(refused).toContainText('Nothing was written');
  await expect(refused).toContainText('glx-cairo');
});
