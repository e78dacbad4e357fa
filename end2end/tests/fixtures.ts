// A `page` that fails the test on any browser console error or warning, uncaught exception,
// or failed request, so every test also checks that the console runs cleanly. A test that
// provokes an error on purpose declares it with `expectProblem(pattern)`.
import { test as base, expect, Page } from '@playwright/test';

type Fixtures = { page: Page; expectProblem: (pattern: RegExp) => void };

export const test = base.extend<Fixtures & { problems: { seen: string[]; allowed: RegExp[] } }>({
  problems: async ({}, use) => {
    await use({ seen: [], allowed: [] });
  },
  expectProblem: async ({ problems }, use) => {
    await use((pattern) => problems.allowed.push(pattern));
  },
  page: async ({ page, problems }, use) => {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.seen.push(`console ${message.type()}: ${message.text()} at ${message.location().url}`);
      }
    });
    page.on('pageerror', (error) => problems.seen.push(`uncaught: ${error.message}`));
    // Each page the tab loaded, with what its console errors depend on: the status, the type
    // and the Content-Security-Policy the server sent. Told only when the test fails.
    const documents: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) problems.seen.push(`HTTP ${response.status()} for ${response.url()}`);
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
        const headers = response.headers();
        documents.push(
          `${response.status()} ${response.url()} (${headers['content-type'] ?? 'no type'}; ` +
            `CSP ${headers['content-security-policy'] ?? 'none'})`,
        );
      }
    });
    await use(page);
    // A failed request shows up twice (as a response and as a console error); both must be allowed.
    const unexpected = problems.seen.filter((p) => !problems.allowed.some((a) => a.test(p)));
    if (unexpected.length > 0) unexpected.push(...documents.map((d) => `(page loaded: ${d})`));
    expect(unexpected, 'the browser console stays clean').toEqual([]);
  },
});

export { expect };

/** Waits until the console has hydrated (the app marks <body data-hydrated>). */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });

const server = (variable: string) => {
  const url = process.env[variable];
  if (!url) throw new Error(`${variable} is not set: run the browser tests through scripts/e2e`);
  return url;
};

/** The server with the demo domain loaded, for tests that read data (`test.use({ baseURL: demoURL })`). */
export const demoURL = server('STRATA_DEMO_URL');

/** Another server with the demo domain, for the journeys that change it (so counts and
 * revisions the reading tests check stay as the demo made them). */
export const editedURL = server('STRATA_EDITED_URL');

/** The demo as `strata demo` loads it, LIVE under review, with acme's editor (eda) and publisher
 * (pia): for the change-request journey. */
export const reviewedURL = server('STRATA_REVIEWED_URL');

