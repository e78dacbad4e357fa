// Getting in: the first admin through the setup link the server logged, signing out, a wrong
// password, and signing in again straight back to the page that was asked for. On the fresh
// server (nobody could sign in before), in contexts that start signed out.
import type { Page } from '@playwright/test';
import { test, expect, hydrated, screenshot } from './fixtures';

const server = (variable: string) => {
  const url = process.env[variable];
  if (!url) throw new Error(`${variable} is not set: run the browser tests through scripts/e2e`);
  return url;
};
const freshURL = server('STRATA_FRESH_URL');
const setupURL = server('STRATA_SETUP_URL');

test.use({ baseURL: freshURL, storageState: { cookies: [], origins: [] } });

/** Waits until the page is awake and has fetched what it fetches (the module of later pages
 * among it): leaving a page while a module still loads aborts it, which the browser reports as
 * an error. */
async function settled(page: Page) {
  await hydrated(page);
  await page.waitForLoadState('networkidle');
}

test('the first admin is made through the setup link, signs out and back in', async ({ page }) => {
  // Before anyone exists, every page leads to the sign-in page.
  await page.goto('/tenants');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Ftenants$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await settled(page);

  await page.goto(setupURL);
  await expect(page.getByRole('heading', { name: 'Create the first admin' })).toBeVisible();
  await settled(page);
  await page.getByLabel('User name').fill('ada');
  await page.getByLabel('Display name').fill('Ada Admin');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByLabel('The same password again').fill('correct horse battery');
  await screenshot(page, 'setup');
  await page.getByRole('button', { name: 'Create and sign in' }).click();
  await expect(page).toHaveURL(`${freshURL}/`);
  await settled(page);
  await expect(page.getByTestId('signed-in-as')).toHaveText('Ada Admin');

  // The link worked once.
  await page.goto(setupURL);
  await expect(page.getByTestId('setup-expired')).toBeVisible();
  await settled(page);

  await page.goto('/');
  await settled(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByText('You have signed out.')).toBeVisible();
  await settled(page);
  await page.goto('/tenants');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Ftenants$/);
  await settled(page);

  await page.getByLabel('User name').fill('ada');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong user name or password.');
  await settled(page);
  await expect(page.getByLabel('User name')).toHaveValue('ada');
  await screenshot(page, 'sign-in-refused');

  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${freshURL}/tenants`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tenants');
  await hydrated(page);
  await expect(page.getByTestId('signed-in-as')).toHaveText('Ada Admin');
});
