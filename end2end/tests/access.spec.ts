// Who may do what, in the browser: a domain admin adds a person, makes them a viewer of acme
// and creates, uses and revokes an API token; the viewer, signed in, is offered nothing they
// may not do. On the server whose domain the journeys change.
import { test, expect, hydrated, screenshot, editedURL } from './fixtures';

test.use({ baseURL: editedURL });

const PASSWORD = 'a viewer password, long';

test('a domain admin adds a viewer and a token; the viewer is offered only reading', async ({ page, browser, request }) => {
  await page.goto('/people');
  await hydrated(page);
  await expect(page.getByTestId('users')).toContainText('e2e');
  await page.getByLabel('Sign-in name').fill('vera');
  await page.getByLabel('Display name').fill('Vera Viewer');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByTestId('add-person-save').click();
  await expect(page.locator('tr[data-user="vera"]')).toContainText('no roles');

  await page.goto('/organizations/acme');
  await hydrated(page);
  await page.getByTestId('members').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Members of acme');
  await page.getByLabel('Person (their sign-in name)').fill('vera');
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByTestId('member-save').click();
  await expect(page.locator('tr[data-user="vera"]')).toContainText('viewer');
  await screenshot(page, 'members');

  // A read token: its secret shown once, reading configs with it, then revoked.
  await page.goto('/tokens');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('e2e-reader');
  await page.getByLabel('Tiers', { exact: true }).fill('LIVE');
  await page.getByTestId('create-token-save').click();
  const secret = (await page.getByTestId('token-secret').locator('code').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^strata_[0-9a-f]{64}$/);
  await expect(page.locator('tr[data-token="e2e-reader"]')).toContainText('reads configs on LIVE');
  await screenshot(page, 'tokens');
  const config = `${editedURL}/api/v1/config/LIVE/acme-berlin/web-api`;
  expect((await request.get(config, { headers: { Authorization: `Bearer ${secret}` } })).status()).toBe(200);
  expect((await request.get(config, { headers: { Authorization: 'Bearer strata_wrong' } })).status()).toBe(401);
  await page.getByTestId('revoke-e2e-reader').click();
  await expect(page.locator('tr[data-token="e2e-reader"]')).toContainText('revoked by e2e');

  // A token for a service's CI, acting as a domain admin: it may read (and change) what the
  // domain shares through the API, and reads no configs.
  await page.getByLabel('Name', { exact: true }).fill('e2e-ci');
  await page.getByLabel('It may').selectOption('admin');
  await page.getByTestId('create-token-save').click();
  await expect(page.locator('tr[data-token="e2e-ci"]')).toContainText('acts as a domain admin');
  const ci = (await page.getByTestId('token-secret').locator('code').textContent())?.trim() ?? '';
  const asCI = { headers: { Authorization: `Bearer ${ci}` } };
  expect((await request.get(`${editedURL}/api/v1/deployables/web-api`, asCI)).status()).toBe(200);
  expect((await request.get(config, asCI)).status()).toBe(403);

  // The viewer, in a browser of their own.
  const context = await browser.newContext({ baseURL: editedURL, storageState: { cookies: [], origins: [] } });
  const viewer = await context.newPage();
  await viewer.goto('/sign-in');
  await viewer.getByLabel('User name').fill('vera');
  await viewer.getByLabel('Password').fill(PASSWORD);
  await viewer.getByRole('button', { name: 'Sign in' }).click();
  await expect(viewer.getByTestId('signed-in-as')).toHaveText('Vera Viewer');

  await viewer.goto('/tenants/acme-berlin');
  await hydrated(viewer);
  await expect(viewer.getByTestId('fields')).toBeVisible();
  await expect(viewer.getByTestId('edit')).toHaveCount(0);
  await expect(viewer.getByTestId('delete-open')).toHaveCount(0);
  await expect(viewer.locator('[data-testid^="roll-back-"]')).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: 'People' })).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: 'API tokens' })).toHaveCount(0);
  await screenshot(viewer, 'viewer-tenant');
  await viewer.goto('/tenants');
  await hydrated(viewer);
  await expect(viewer.getByRole('heading', { level: 1 })).toHaveText('Tenants');
  await expect(viewer.getByTestId('new')).toHaveCount(0);
  await viewer.goto('/configs/web-api/tenant/acme-berlin');
  await hydrated(viewer);
  await expect(viewer.getByTestId('read-only')).toBeVisible();
  await expect(viewer.getByTestId('preview')).toBeHidden();
  // The layer's values show and take no typing.
  const inputs = viewer.getByTestId('layer-form').locator('input, select, textarea');
  expect(await inputs.count()).toBeGreaterThan(0);
  for (const input of await inputs.all()) await expect(input).toBeDisabled();

  // Pages they reach by address offer no form they may not use.
  await viewer.goto('/tokens');
  await hydrated(viewer);
  await expect(viewer.getByTestId('no-token-form')).toBeVisible();
  await expect(viewer.getByTestId('create-token')).toHaveCount(0);
  await viewer.goto('/people');
  await hydrated(viewer);
  await expect(viewer.getByTestId('add-person')).toHaveCount(0);
  // Another organization's members page is the plain "Not found", naming nothing.
  await viewer.goto('/organizations/globex/members');
  await hydrated(viewer);
  await expect(viewer.locator('main')).not.toContainText('globex');
  await expect(viewer.getByRole('heading', { level: 1 })).not.toContainText('Members');
  // Where publications go is for domain admins: the sentence still reads whole.
  await viewer.goto('/publications');
  await hydrated(viewer);
  await expect(viewer.getByTestId('destinations')).toHaveText('Each revision is written to the origin and compiled into the cache.');

  // A form they may not use, typed as an address: a page that says so and why, answered 403.
  for (const [address, why] of [
    ['/tenants/acme-berlin/edit', 'changing it needs the editor role in its organization'],
    ['/new/tiers', 'only a domain admin may create a tier'],
    ['/new/tenants', 'creating a tenant needs the editor role in an organization'],
  ]) {
    const answer = await viewer.goto(address);
    expect(answer?.status(), address).toBe(403);
    await hydrated(viewer);
    await expect(viewer.getByTestId('may-not-change')).toContainText(why);
    await expect(viewer.getByTestId('entity-form')).toHaveCount(0);
  }
  await context.close();

  // The admin still sees every button.
  await page.goto('/tenants/acme-berlin');
  await hydrated(page);
  await expect(page.getByTestId('edit')).toBeVisible();
  await expect(page.getByTestId('delete-open')).toBeVisible();
});
