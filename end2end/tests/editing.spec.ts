import { expect, test, type Page } from '@playwright/test';
import { ADMIN, createDealOnBoard, hydrated, screenshot, signIn } from './helpers';

test.describe.configure({ mode: 'serial' });

/** A finger on the screen, through the DevTools protocol: Playwright has no touch drag. */
async function touchDrag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, holdMs: number) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from.x, y: from.y }] });
  await page.waitForTimeout(holdMs);
  const steps = 12;
  for (let i = 1; i <= steps; i++) {
    const x = from.x + ((to.x - from.x) * i) / steps;
    const y = from.y + ((to.y - from.y) * i) / steps;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
    await page.waitForTimeout(30);
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

async function centre(locator: ReturnType<Page['locator']>) {
  const box = await locator.boundingBox();
  if (!box) throw new Error('not on screen');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

test('touch at 375 px: a long press drags a card onto a stage tab; a quick swipe does not', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const title = `Touch deal ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const card = await createDealOnBoard(page, title);
  await page.goto(`/board?q=${encodeURIComponent(title)}`);
  await hydrated(page);
  const tabs = page.getByRole('navigation', { name: 'Stages' });
  const scoringTab = tabs.getByRole('button', { name: /^Scoring/ });
  await expect(scoringTab.locator('.count')).toHaveText('0');
  await expect(card).toBeVisible();
  await card.scrollIntoViewIfNeeded();

  // A swipe without the pause scrolls; the card stays.
  await touchDrag(page, await centre(card.locator('h3')), await centre(scoringTab), 50);
  await page.waitForTimeout(800);
  await expect(scoringTab.locator('.count')).toHaveText('0');

  // A long press lifts the card; dropped on the Scoring tab it moves there.
  await card.scrollIntoViewIfNeeded();
  await touchDrag(page, await centre(card.locator('.amount')), await centre(scoringTab), 700);
  await expect(scoringTab.locator('.count')).toHaveText('1');
  await scoringTab.click();
  await expect(page.getByRole('region', { name: 'Scoring' }).getByRole('listitem').filter({ hasText: title })).toBeVisible();
  await page.screenshot({ path: 'screenshots/board-touch-375.png', fullPage: true });
  await context.close();
});

test('filters narrow the board, live in the URL and survive a reload', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const intake = page.getByRole('region', { name: 'Client manager' });
  const everyone = Number(await intake.locator('.column-head .count').textContent());
  await page.getByText('Filters', { exact: true }).click();
  await page.getByLabel('Amount from').fill('3000000');
  await page.getByLabel('Amount from').press('Tab');
  await expect(page).toHaveURL(/min=3000000/);
  await expect.poll(async () => Number(await intake.locator('.column-head .count').textContent())).toBeLessThan(everyone);
  const responsible = page.getByLabel('Responsible');
  const firstPerson = await responsible.locator('option').nth(1).textContent();
  await responsible.selectOption({ index: 1 });
  await expect(page).toHaveURL(/responsible=\d+/);
  await page.getByLabel('Created from').fill('2020-01-01');
  await page.getByLabel('Created from').press('Tab');
  await expect(page).toHaveURL(/from=2020-01-01/);
  for (const card of await intake.getByRole('listitem').all()) {
    await expect(card).toContainText(firstPerson ?? '');
  }
  await screenshot(page, 'board-filters');

  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Amount from')).toHaveValue('3000000');
  await expect(page.getByLabel('Created from')).toHaveValue('2020-01-01');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(/\/board$/);
  await expect.poll(async () => Number(await intake.locator('.column-head .count').textContent())).toBe(everyone);
});

test('a deal is created on its own page and edited; a stale edit is refused', async ({ page, browser }) => {
  const title = `Full form deal ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/deals/new');
  await hydrated(page);
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Client', { exact: true }).fill('Olga Smirnova');
  await page.getByLabel('Phone', { exact: true }).fill('+7 912 000-11-22');
  await page.getByLabel('E-mail').fill('olga@example.com');
  await page.getByLabel('Amount', { exact: true }).fill('abc');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('alert')).toHaveText('Enter an amount of zero or more with at most two decimal places.');
  await page.getByLabel('Amount', { exact: true }).fill('2 750 000,50');
  await page.getByLabel('Currency').selectOption('USD');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  const dealUrl = page.url();
  await expect(page.locator('.facts')).toContainText('2\u202f750\u202f000.50 USD');
  await expect(page.locator('.facts')).toContainText('olga@example.com');

  // A second tab opens the same deal before the first one edits it.
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await signIn(other, ADMIN);
  await expect(other).toHaveURL(/\/board$/);
  await other.goto(dealUrl);
  await hydrated(other);
  await other.getByRole('button', { name: 'Edit' }).click();

  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Title', { exact: true }).fill(`${title} (edited)`);
  await page.getByLabel('Amount', { exact: true }).fill('3000000');
  await screenshot(page, 'deal-edit');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `${title} (edited)` })).toBeVisible();
  await expect(page.locator('.facts')).toContainText('3\u202f000\u202f000 USD');

  await other.getByLabel('Title', { exact: true }).fill('Overwritten');
  await other.getByRole('button', { name: 'Save' }).click();
  await expect(other.getByRole('alert')).toHaveText('Someone has just changed this deal. Reload it and try again.');
  await otherContext.close();
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: `${title} (edited)` })).toBeVisible();
});

test('an administrator builds a pipeline: template, rename, reorder, add, remove a stage with its deals', async ({ page }) => {
  const name = `E2E sales ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/admin/pipelines');
  await hydrated(page);
  await page.getByRole('button', { name: 'New pipeline' }).click();
  const creating = page.locator('form.new-pipeline');
  await creating.getByLabel('Pipeline name').fill(name);
  await creating.getByLabel('Start from').selectOption('sales_funnel');
  await creating.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/admin\/pipelines\?id=\d+/);
  const pipelineId = new URL(page.url()).searchParams.get('id');
  await hydrated(page);
  const editor = page.getByRole('form', { name: 'Stages' });
  const names = editor.getByLabel('Stage name');
  await expect(names).toHaveCount(6);
  await expect(names.nth(0)).toHaveValue('New lead');

  // A deal in the first stage, to be moved when that stage goes.
  await page.goto(`/deals/new?pipeline=${pipelineId}`);
  await hydrated(page);
  await page.getByLabel('Title', { exact: true }).fill(`Lead of ${name}`);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  const dealUrl = page.url();

  await page.goto(`/admin/pipelines?id=${pipelineId}`);
  await hydrated(page);
  await names.nth(1).fill('Qualified lead');
  await editor.getByRole('button', { name: 'Move Qualified lead down' }).click();
  await expect(names.nth(2)).toHaveValue('Qualified lead');
  await editor.getByRole('button', { name: '+ Add stage' }).click();
  await names.nth(4).fill('Contract signing');
  await editor.getByLabel('SLA, hours').nth(4).fill('12');
  await editor.getByRole('button', { name: 'Remove New lead' }).click();
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor.getByRole('alert')).toHaveText('The stage “New lead” still holds 1 deals: choose where to move them.');
  await editor.getByLabel('Move its 1 deals to').selectOption({ label: 'Proposal' });
  await screenshot(page, 'admin-pipelines');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  await expect(names).toHaveCount(6);
  await expect(names.nth(0)).toHaveValue('Proposal');
  await expect(names.nth(1)).toHaveValue('Qualified lead');
  await expect(names.nth(3)).toHaveValue('Contract signing');

  await page.goto(`/board?pipeline=${pipelineId}`);
  await hydrated(page);
  const headings = page.locator('.column-head h2');
  await expect(headings.nth(0)).toHaveText('Proposal');
  await expect(headings.nth(3)).toHaveText('Contract signing');
  await expect(page.getByRole('region', { name: 'Proposal' }).getByRole('listitem')).toHaveCount(1);

  await page.goto(dealUrl);
  await hydrated(page);
  const steps = page.locator('.history > li');
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toContainText('New lead → Proposal');
  await expect(steps.nth(0)).toContainText('Stage "New lead" removed');
});
