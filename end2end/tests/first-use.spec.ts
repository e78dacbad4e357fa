// What a new user meets first: each item of the friction found when the console was tried
// by someone who did not build it.
import { test, expect, hydrated, demoURL, editedURL } from './fixtures';
import { PAGES } from './pages';

test.use({ baseURL: editedURL });

test('a name is refused with its whole rule in words, which the hint says before', async ({ page }) => {
  await page.goto('/new/tiers');
  await hydrated(page);
  const field = page.locator('[data-field="name"]');
  const rule = '3 to 20 characters: capital letters A–Z and digits, starting with a letter';
  await expect(field.locator('.help')).toContainText(rule);
  await page.getByLabel('Name', { exact: true }).fill('QA');
  await expect(field.locator('.field-error')).toHaveText(`tier name "QA" is not valid: ${rule}`);
  await page.getByLabel('Name', { exact: true }).fill('QA1');
  await expect(field.locator('.field-error')).toBeEmpty();

  // Every name field's hint says its length.
  for (const [form, words] of [
    ['/new/organizations', '2 to 20 characters'],
    ['/new/deployables', '3 to 21 characters'],
    ['/new/products', '3 to 35 characters'],
    ['/new/tenants', '3 to 30 characters'],
  ]) {
    await page.goto(form);
    await expect(page.locator('[data-field="name"] .help')).toContainText(words);
    await expect(page.locator('main')).not.toContainText('^[');
  }
});

test('the values a schema allows read as values, or as the titles it gives them', async ({ page }) => {
  await page.goto(`${demoURL}/configs/web-api/tenant/acme-oslo`);
  await hydrated(page);
  const select = page.locator('[data-pointer="/log_level"]').getByRole('combobox');
  await expect(select.locator('option')).toHaveText(['(not set here)', 'error', 'warn', 'info', 'debug', 'trace']);
  // Each still stands for its JSON value.
  await select.selectOption({ label: 'debug' });
  await page.getByTestId('tab-raw').click();
  await expect(page.getByTestId('raw')).toHaveValue(/"log_level": "debug"/);
});

test('a refusal says what was refused and why, in the domain words, not the framework', async ({ page, expectProblem }) => {
  await page.goto('/people');
  await hydrated(page);
  const form = page.getByTestId('add-person');
  await form.getByLabel('Sign-in name').fill('Bad Name');
  await form.getByLabel('Password').fill('a long enough password');
  await page.getByTestId('add-person-save').click();
  const error = page.getByTestId('add-person-error');
  expectProblem(/422.*\/api\/user-add|\/api\/user-add.*422|status of 422/);
  await expect(error).toContainText('2 to 32 characters: lower-case letters a–z, digits, dots and dashes');
  await expect(error).not.toContainText('server function');
});

test('the header names the domain once, and its revision leads to that publication', async ({ page }) => {
  await page.goto(`${demoURL}/tenants`);
  await hydrated(page);
  const topbar = page.locator('.topbar');
  const name = (await page.getByTestId('domain-name').textContent())!;
  expect((await topbar.textContent())!.split(name).length - 1).toBe(1);
  const revision = topbar.locator('.revision');
  const number = (await revision.textContent())!.replace('revision ', '');
  await revision.click();
  await expect(page).toHaveURL(new RegExp(`/publications#revision-${number}$`));
  await expect(page.locator(`#revision-${number}`)).toBeVisible();
});

test('History says who published and what it wrote in words, not JSON', async ({ page }) => {
  await page.goto(`${demoURL}/history`);
  await hydrated(page);
  const publish = page.getByTestId('audit-events').locator('tr[data-action="publish"]').first();
  await expect(publish).toContainText('the publisher at');
  await expect(publish).not.toContainText('strata@');
  await expect(publish.locator('.figures')).toContainText('documents uploaded');
  await expect(publish).not.toContainText('{');
});

test('a schema pasted into a new deployable shows whole, and broken JSON names its line', async ({ page }) => {
  await page.goto('/new/deployables');
  await hydrated(page);
  const box = page.getByLabel('Config schema');
  const schema = JSON.stringify(
    { type: 'object', properties: Object.fromEntries([...Array(9)].map((_, i) => [`key${i}`, { type: 'string' }])) },
    null,
    2,
  );
  expect(schema.split('\n').length).toBeGreaterThanOrEqual(20);
  await box.fill(schema);
  await expect(box).toHaveAttribute('rows', String(schema.split('\n').length));
  expect(await box.evaluate((el: HTMLTextAreaElement) => el.scrollHeight <= el.clientHeight + 2)).toBe(true);
  await box.fill('{\n  "type": "object",\n  "properties": {\n}');
  await expect(page.locator('[data-field="config_schema"] .field-error')).toContainText('line 4, column 1');
});

test('two versions of a layer compare what was edited, at the paths the editor shows', async ({ page }) => {
  await page.goto('/configs/web-api/tenant/acme-paris');
  await hydrated(page);
  // The demo stored this layer with one key of its own.
  const stored = Number((await page.getByTestId('layer-version').textContent())!.replace('version ', ''));
  const level = page.locator('[data-pointer="/log_level"]').getByRole('combobox');
  for (const [i, value] of ['debug', 'info'].entries()) {
    await level.selectOption({ label: value });
    await page.getByTestId('preview').click();
    await expect(page.getByTestId('impact')).toBeVisible();
    await page.getByLabel('Why are you making this change?').fill(`log at ${value}`);
    await page.getByTestId('save-layer').click();
    await expect(page.getByTestId('layer-version')).toHaveText(`version ${stored + i + 1}`);
  }
  const diff = page.getByTestId('diff');
  await expect(diff).toContainText('1 value differs.');
  await expect(diff.getByRole('row', { name: /\/log_level "debug" "info"/ })).toBeVisible();
  await expect(diff).not.toContainText('/config/');
  // The layer's other values, not the layer's deployable and scope.
  await page.getByTestId('tab-raw').click();
  const leaves = (value: unknown): number =>
    value !== null && typeof value === 'object' ? Object.values(value).reduce((n: number, v) => n + leaves(v), 0) : 1;
  const others = leaves(JSON.parse(await page.getByTestId('raw').inputValue())) - 1;
  await expect(diff).toContainText(`Show the ${others} unchanged`);
});

test('times read as how long ago, with the exact time in the reader\'s own zone on hover', async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-GB', baseURL: demoURL, storageState: '.auth/signed-in.json' });
  const page = await context.newPage();
  await page.goto('/history');
  await hydrated(page);
  const time = page.getByTestId('audit').locator('time').first();
  await expect(time).toHaveText(/^(just now|an? \w+ ago|\d+ \w+ ago)$/);
  const exact = new Date((await time.getAttribute('datetime'))!);
  // The title is the same moment, written in Tokyo's time.
  const tokyo = exact.toLocaleString('en-GB', { timeZone: 'Asia/Tokyo' });
  await expect(time).toHaveAttribute('title', tokyo);
  await context.close();
});

test('a tenant page offers to override its config, for the tenant, its product or its tier', async ({ page }) => {
  await page.goto(`${demoURL}/tenants/acme-berlin`);
  await hydrated(page);
  const overrides = page.getByTestId('resolved-web-api').getByTestId('overrides');
  await expect(overrides.getByRole('link')).toHaveText(['Override for this tenant', 'for its product acme-shop', 'for its tier LIVE']);
  await overrides.getByRole('link', { name: 'Override for this tenant' }).click();
  await expect(page).toHaveURL(/\/configs\/web-api\/tenant\/acme-berlin$/);
  await expect(page.locator('h1')).toContainText('acme-berlin');
});

test('no page scrolls sideways at 1366, 1920 or 390 px wide: tables scroll inside their frame', async ({ browser }) => {
  test.setTimeout(PAGES.length * 3 * 5_000);
  const wide: string[] = [];
  for (const [width, height] of [[1366, 768], [1920, 1080], [390, 844]]) {
    const context = await browser.newContext({ viewport: { width, height }, baseURL: demoURL, storageState: '.auth/signed-in.json' });
    const page = await context.newPage();
    for (const path of PAGES) {
      await page.goto(path);
      await hydrated(page);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      if (scroll > width) wide.push(`${path} at ${width} px: ${scroll} px wide`);
    }
    // A panel that opens on a page fits too: the reason asked before saving (its buttons stood
    // side by side past a phone's edge, found by a stranger's trial).
    await page.goto('/tenants/acme-berlin/edit');
    await hydrated(page);
    await page.getByTestId('save').click();
    await expect(page.getByLabel('Why are you making this change?')).toBeVisible();
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scroll > width) wide.push(`the reason panel at ${width} px: ${scroll} px wide`);
    await context.close();
  }
  expect(wide).toEqual([]);
});

test('a whole-number field takes whole numbers as typed, never a rewritten one', async ({ page }) => {
  await page.goto(`${demoURL}/configs/web-api/tenant/acme-oslo`);
  await hydrated(page);
  const port = page.locator('[data-pointer="/database/port"]');
  for (const typed of ['1e3', '99999999999999999999999']) {
    await port.getByRole('textbox').fill(typed);
    await expect(port.locator('.field-error')).toContainText('integer');
    await expect(page.getByTestId('preview')).toBeDisabled();
  }
  await port.getByRole('textbox').fill('5433');
  await expect(port.locator('.field-error')).toBeEmpty();
  await page.getByTestId('tab-raw').click();
  await expect(page.getByTestId('raw')).toHaveValue(/"port": 5433\b/);
});
