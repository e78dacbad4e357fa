// Publications of the demo domain: each revision's state, what it wrote, how long each step
// took and its checksum; "Publish now" asks the publisher and says what it asked.
import { test, expect, hydrated, screenshot, demoURL } from './fixtures';

test.use({ baseURL: demoURL });

test('a published revision shows its steps and checksum, and "Publish now" answers', async ({ page }) => {
  await page.goto('/publications');
  await hydrated(page);
  const row = page.getByTestId('publications').locator('tr[data-revision="1"]');
  await expect(row.locator('.badge')).toHaveText('published');
  await expect(row.locator('.timings')).toHaveText(/^build \d+ ms · upload \d+ ms · HEAD \d+ ms$/);
  await expect(row.locator('code')).toHaveText(/^[0-9a-f]{12}$/);
  await expect(page.getByTestId('destinations')).toContainText('file://');
  await page.getByTestId('publish-now').click();
  await expect(page.getByTestId('publish-answer')).toHaveText('Revision 1 is published already.');
  await screenshot(page, 'publications');
});
