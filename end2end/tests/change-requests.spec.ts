// A change to LIVE under review, in the browser: acme's editor proposes a change to a LIVE
// tenant's config from its editor and sees the impact; acme's publisher comments and approves;
// the editor edits the request, which voids the approval; the publisher approves again and
// applies it; it is published, and history shows the request. On a server of its own, with the
// demo as `strata demo` loads it (LIVE under review).
import { Browser, Page } from '@playwright/test';
import { test, expect, hydrated, screenshot, reviewedURL } from './fixtures';

test.use({ baseURL: reviewedURL });

const PASSWORD = process.env.STRATA_E2E_PASSWORD ?? '';

/** What went wrong in the browsers this test opens: console errors and warnings, uncaught
 * exceptions, failed requests (as the `page` fixture checks of its own page). */
const problems: string[] = [];
test.beforeEach(() => {
  problems.length = 0;
});

async function signedIn(browser: Browser, user: string, name: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: reviewedURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${user}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${user}: uncaught: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${user}: HTTP ${r.status()} for ${r.url()}`);
  });
  await page.goto('/sign-in');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(name);
  await hydrated(page);
  return page;
}

test('an editor proposes a LIVE change, a publisher reviews and approves it, and it applies', async ({ browser }) => {
  test.setTimeout(90_000);
  const editor = await signedIn(browser, 'eda', 'Eda Editor');
  // From the sidebar to the tenant, to its layer of web-api.
  await editor.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tenants' }).click();
  await expect(editor.getByRole('heading', { level: 1 })).toHaveText('Tenants');
  await editor.getByRole('link', { name: 'acme-berlin', exact: true }).first().click();
  await expect(editor.getByRole('heading', { level: 1 })).toContainText('acme-berlin');
  await editor.locator('a[href="/configs/web-api/tenant/acme-berlin"]').first().click();
  await expect(editor).toHaveURL(/\/configs\/web-api\/tenant\/acme-berlin$/);
  await expect(editor.getByTestId('reviewed')).toContainText('live-review');
  await editor.getByTestId('tab-raw').click();
  const raw = editor.getByTestId('raw');
  const config = JSON.parse(await raw.inputValue());
  config.log_level = 'debug';
  await raw.fill(JSON.stringify(config, null, 2));
  await editor.getByTestId('preview').click();
  await expect(editor.getByTestId('impact-summary')).toContainText("1 tenant's resolved config changes");
  // Under review, the editor offers no save: only a proposal.
  await expect(editor.getByTestId('save-layer')).toHaveCount(0);
  await editor.getByLabel('What does this change, and why?').fill('More logs for Berlin — "debug" </textarea><script>');
  await editor.getByLabel('More for the reviewers (optional)').fill('Berlin’s logs fill the disk.\nSee the ops channel.');
  await editor.getByTestId('propose-layer').click();
  await expect(editor).toHaveURL(/\/change-requests\/\d+$/);
  const requestURL = new URL(editor.url()).pathname;
  await expect(editor.getByTestId('request-title')).toContainText('More logs for Berlin — "debug" </textarea><script>');
  await expect(editor.getByTestId('request-state')).toHaveText('open');
  await expect(editor.getByTestId('approved-by')).toContainText('nobody yet');
  await expect(editor.getByTestId('needs')).toContainText('1 approval from a publisher');
  await expect(editor.getByTestId('impact-summary')).toContainText("1 tenant's resolved config changes");
  await expect(editor.getByTestId('approve')).toHaveCount(0);
  await screenshot(editor, 'change-request-proposed');

  // The publisher: the sidebar counts it, the list shows it; they comment and approve.
  const publisher = await signedIn(browser, 'pia', 'Pia Publisher');
  await expect(publisher.getByTestId('reviews-waiting')).toHaveText('1');
  await publisher.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: /Change requests/ }).click();
  await expect(publisher.getByRole('heading', { level: 1 })).toHaveText('Change requests');
  await publisher.getByTestId('requests').getByRole('link', { name: /More logs/ }).click();
  await expect(publisher).toHaveURL(new RegExp(`${requestURL}$`));
  await expect(publisher.getByTestId('write')).toContainText('/log_level');
  await publisher.getByTestId('comment').fill('Why not "error"? 🤔');
  await publisher.getByTestId('pointer').fill('/log_level');
  await publisher.getByTestId('send-comment').click();
  await expect(publisher.getByTestId('conversation')).toContainText('Why not "error"? 🤔');
  await publisher.getByTestId('approve').click();
  await expect(publisher.getByTestId('approved-by')).toContainText('pia');

  // The author edits it: the approval was of other content and no longer counts.
  await editor.reload();
  await hydrated(editor);
  await expect(editor.getByTestId('approved-by')).toContainText('pia');
  await editor.getByTestId('edit-request').click();
  const write = editor.getByTestId('request-write-0');
  const edited = JSON.parse(await write.inputValue());
  edited.log_level = 'error';
  await write.fill(JSON.stringify(edited, null, 2));
  await editor.getByTestId('save-request').click();
  await expect(editor.getByTestId('approved-by')).toContainText('nobody yet');
  await expect(editor.getByTestId('conversation')).toContainText('no longer counted');
  await screenshot(editor, 'change-request-edited');

  // Approved again, and applied by the publisher.
  await publisher.reload();
  await hydrated(publisher);
  await expect(publisher.getByTestId('approved-by')).toContainText('nobody yet');
  await expect(publisher.getByTestId('write')).toContainText('"error"');
  await publisher.getByTestId('approve').click();
  await expect(publisher.getByTestId('approved-by')).toContainText('pia');
  // Applying closes the request for good: asked once more.
  await publisher.getByTestId('apply').click();
  await expect(publisher.getByTestId('confirming')).toContainText('one revision');
  await publisher.getByTestId('confirm-apply').click();
  await expect(publisher.getByTestId('request-state')).toHaveText('applied');
  await screenshot(publisher, 'change-request-applied');

  // Published, and history shows the request.
  await publisher.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Publications' }).click();
  await expect(publisher.getByRole('heading', { level: 1 })).toHaveText('Publications');
  await publisher.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'History' }).click();
  await expect(publisher.getByRole('heading', { level: 1 })).toContainText('History');
  await expect(publisher.getByText(/change request #\d+: More logs for Berlin/).first()).toBeVisible();
  await editor.goto('/configs/web-api/tenant/acme-berlin');
  await hydrated(editor);
  await editor.getByTestId('tab-raw').click();
  expect(JSON.parse(await editor.getByTestId('raw').inputValue()).log_level).toBe('error');

  // Rolling it back is under review too: the publisher proposes the roll back's write.
  await publisher.goto('/configs/web-api/tenant/acme-berlin');
  await hydrated(publisher);
  const previous = await publisher.getByTestId('history').locator('tr[data-version]').nth(1).getAttribute('data-version');
  await publisher.getByTestId(`roll-back-${previous}`).click();
  await publisher.getByLabel('Why roll back?').fill('Back to how it was');
  await publisher.getByTestId('confirm-rollback').click();
  await expect(publisher.getByTestId('needs-review')).toContainText('live-review');
  await publisher.getByTestId('propose-rollback').click();
  await expect(publisher).toHaveURL(/\/change-requests\/\d+$/);
  await expect(publisher.getByTestId('request-title')).toContainText('Back to how it was');
  await expect(publisher.getByTestId('write')).toContainText('log_level');
  await expect(publisher.getByTestId('request-state')).toHaveText('open');
  expect(problems, 'the browser consoles stay clean').toEqual([]);
});

test("an entity form offers only a proposal where its save needs review, and a withdrawal is asked once more", async ({ browser }) => {
  test.setTimeout(60_000);
  const editor = await signedIn(browser, 'eda', 'Eda Editor');
  await editor.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tenants' }).click();
  await expect(editor.getByRole('heading', { level: 1 })).toHaveText('Tenants');
  await editor.getByRole('link', { name: 'acme-berlin', exact: true }).first().click();
  await expect(editor.getByRole('heading', { level: 1 })).toContainText('acme-berlin');
  await editor.getByTestId('edit').click();
  await expect(editor.getByRole('heading', { level: 1 })).toHaveText('Edit acme-berlin');
  await hydrated(editor);
  // Another name services may use for it: what LIVE serves changes.
  await editor.getByLabel('Alias').fill('acme-mitte');
  // The tenant is on LIVE: its save asks for a proposal, not a reason; nothing offers a save.
  await editor.getByTestId('save').click();
  await expect(editor.getByTestId('needs-review')).toContainText('live-review');
  await expect(editor.getByTestId('save')).toHaveText('Propose…');
  await expect(editor.getByTestId('confirm-save')).toHaveCount(0);
  const title = 'Berlin “Mitte” — 柏林 🐻 #1 $HOME </textarea><script>alert(1)</script>';
  await editor.getByLabel('What does this change, and why?').fill(title);
  await editor.getByLabel('More for the reviewers (optional)').fill('שלום\nThe sales team asked.');
  await editor.getByTestId('propose').click();
  await expect(editor).toHaveURL(/\/change-requests\/\d+$/);
  await expect(editor.getByTestId('request-title')).toContainText(title);
  await expect(editor.getByTestId('write')).toContainText('acme-mitte');
  await expect(editor.getByText('The sales team asked.')).toBeVisible();
  await expect(editor.getByTestId('needs')).toContainText('live-review');
  // Withdrawing is asked once more, and can be called off.
  await hydrated(editor);
  await editor.getByTestId('withdraw').click();
  await expect(editor.getByTestId('confirming')).toContainText('cannot be reopened');
  await editor.getByRole('button', { name: 'Cancel' }).click();
  await expect(editor.getByTestId('confirming')).toHaveCount(0);
  await expect(editor.getByTestId('request-state')).toHaveText('open');
  await editor.getByTestId('withdraw').click();
  await editor.getByTestId('confirm-withdraw').click();
  await expect(editor.getByTestId('request-state')).toHaveText('withdrawn');
  await editor.goto('/tenants/acme-berlin');
  await hydrated(editor);
  // The tenant is as it was: nothing applied.
  await expect(editor.getByRole('heading', { level: 1 })).toContainText('acme-berlin');
  await expect(editor.getByText('acme-mitte')).toHaveCount(0);
  expect(problems, 'the browser consoles stay clean').toEqual([]);
});
