// The console's benchmarks in the browser (bench/*.bench.ts): the same servers and browser
// as the tests, one page at a time. Run: scripts/e2e --config bench.config.ts
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  timeout: 600_000,
  use: { ...base.use, baseURL: process.env.STRATA_DEMO_URL },
});
