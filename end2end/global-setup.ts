// Signs the test user in to each server once, before the tests, and keeps the cookies as the
// storage state every browser context starts from. Each server has its own loopback host, so
// each session cookie is kept apart.
import { request } from '@playwright/test';

export const signedInState = '.auth/signed-in.json';

export default async function globalSetup() {
  const context = await request.newContext();
  for (const variable of ['STRATA_URL', 'STRATA_DEMO_URL', 'STRATA_EDITED_URL', 'STRATA_HOSTILE_URL']) {
    const url = process.env[variable];
    if (!url) throw new Error(`${variable} is not set: run the browser tests through scripts/e2e`);
    const response = await context.post(`${url}/auth/sign-in`, {
      form: { name: process.env.STRATA_E2E_USER ?? '', password: process.env.STRATA_E2E_PASSWORD ?? '' },
      headers: { Origin: url },
      maxRedirects: 0,
    });
    const location = response.headers()['location'];
    if (response.status() !== 303 || location !== '/') {
      throw new Error(`cannot sign in to ${url}: ${response.status()} → ${location}`);
    }
  }
  await context.storageState({ path: signedInState });
  await context.dispose();
}
