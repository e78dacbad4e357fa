// Strata's browser tests run against a server that scripts/e2e starts (STRATA_URL), in Debian's
// Chromium: Playwright's own browser download cannot work on the build machines.
import { defineConfig } from '@playwright/test';
import { signedInState } from './global-setup';

const baseURL = process.env.STRATA_URL;
if (!baseURL) {
  throw new Error('STRATA_URL is not set: run the browser tests through scripts/e2e (or scripts/test)');
}

export default defineConfig({
  testDir: './tests',
  // Every context starts signed in as the test user (tests of signing in start without).
  globalSetup: './global-setup.ts',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    storageState: signedInState,
    screenshot: 'only-on-failure',
    // No trace by default: recording one (DOM snapshots of every action) cost 40% of the
    // browser tests' CPU and a quarter of their time (docs/BENCHMARKS.md). To look into a
    // failure, run them again with one: scripts/e2e --trace retain-on-failure
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium', viewport: { width: 1280, height: 800 } } }],
});
