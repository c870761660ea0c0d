import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { ADMIN, createDealOnBoard, hydrated, screenshot, signIn } from './helpers';

test('the analytics page shows the funnel, time in stage and returns of the demo data', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/analytics');
  await hydrated(page);

  const funnel = page.getByRole('region', { name: 'Funnel' });
  await expect(funnel.getByRole('list', { name: 'Funnel' }).getByRole('listitem').first()).toContainText('Client manager');
  await expect(funnel.getByRole('row', { name: /Client manager/ })).toBeVisible();

  const time = page.getByRole('region', { name: 'Time in stage' });
  await expect(time.getByRole('row', { name: /Scoring/ }).first()).toBeVisible();

  // The demo's 90 days hold returns for rework with their reasons.
  await page.getByRole('button', { name: '90 days' }).click();
  await expect(page).toHaveURL(/from=\d{4}-\d{2}-\d{2}.*to=\d{4}-\d{2}-\d{2}/);
  await expect(page.getByRole('button', { name: '90 days' })).toHaveAttribute('aria-pressed', 'true');
  const returns = page.getByRole('region', { name: 'Returns for rework' });
  await expect(returns.getByRole('heading', { name: 'Most common reasons' })).toBeVisible();
  await expect(returns.locator('tbody tr').first()).toBeVisible();
  await screenshot(page, 'analytics');

  // Each table downloads as CSV: a byte order mark, the table's header, its rows.
  const downloading = page.waitForEvent('download');
  await funnel.getByRole('link', { name: 'Download CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('funnel.csv');
  const text = readFileSync(await download.path(), 'utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  const lines = text.slice(1).trim().split('\r\n');
  expect(lines[0]).toBe('Stage,Entered,Reached (cohort),Conversion,Lost or archived here');
  expect(lines[1]).toMatch(/^Client manager,\d+,\d+,,\d+$/);

  // The filter survives a reload, and a reversed period gets a clear message.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('button', { name: '90 days' })).toHaveAttribute('aria-pressed', 'true');
  await page.goto('/analytics?from=2026-05-10&to=2026-05-01');
  await expect(page.getByRole('alert')).toContainText('The period ends before it starts.');
});

test('the dashboard follows a new deal live, without a reload', async ({ browser }) => {
  const watcher = await browser.newContext();
  const watching = await watcher.newPage();
  await signIn(watching, ADMIN);
  await expect(watching).toHaveURL(/\/board$/);
  await watching.goto('/analytics');
  await hydrated(watching);
  const entered = watching
    .getByRole('region', { name: 'Funnel' })
    .getByRole('row', { name: /Client manager/ })
    .locator('td')
    .nth(1);
  const before = Number(await entered.textContent());

  const actor = await browser.newContext();
  const acting = await actor.newPage();
  await signIn(acting, ADMIN);
  await expect(acting).toHaveURL(/\/board$/);
  await hydrated(acting);
  await createDealOnBoard(acting, `Live analytics ${Date.now()}`);

  await expect(entered).toHaveText(String(before + 1), { timeout: 10_000 });
  await watcher.close();
  await actor.close();
});

test('people and departments: sortable tables, top five; the filter follows the tabs', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/analytics');
  await hydrated(page);
  await page.getByRole('button', { name: '90 days' }).click();
  await expect(page).toHaveURL(/from=/);
  await page.getByRole('link', { name: 'People and departments' }).click();
  await expect(page).toHaveURL(/\/analytics\/team\?.*from=\d{4}-\d{2}-\d{2}/);
  await hydrated(page);

  const people = page.getByRole('region', { name: 'People', exact: true });
  await expect(people.getByRole('list', { name: 'Most passed on' }).getByRole('listitem').first()).toBeVisible();
  const rows = people.locator('tbody tr');
  expect(await rows.count()).toBeGreaterThan(1);

  // "Sent back", largest first, then smallest first.
  const header = people.getByRole('columnheader', { name: 'Sent back' });
  const sentBack = async () =>
    (await people.locator('tbody tr td:nth-child(6)').allTextContents()).map(Number);
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  const descending = await sentBack();
  expect(descending).toEqual([...descending].sort((a, b) => b - a));
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  const ascending = await sentBack();
  expect(ascending).toEqual([...ascending].sort((a, b) => a - b));

  const departments = page.getByRole('region', { name: 'Departments' });
  await expect(departments.getByRole('row', { name: /Scoring/ })).toBeVisible();
  await screenshot(page, 'analytics-team');
});

test('SLA: deals in breach now link to the deal; breaches by week', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/analytics/sla');
  await hydrated(page);

  // The demo leaves some deals past their SLA.
  const now = page.getByRole('region', { name: /In breach now: \d+/ });
  await expect(now.locator('tbody tr').first()).toBeVisible();
  await expect(page.getByRole('region', { name: 'Breaches by stage' }).getByRole('row', { name: /Scoring/ }).first()).toBeVisible();

  await page.getByRole('button', { name: 'Weeks' }).click();
  await expect(page).toHaveURL(/by=week/);
  await expect(page.getByRole('button', { name: 'Weeks' })).toHaveAttribute('aria-pressed', 'true');
  const spans = await page
    .getByRole('region', { name: 'Breaches over time' })
    .locator('tbody tr td:first-child')
    .allTextContents();
  expect(spans.length).toBeGreaterThanOrEqual(4);
  for (const start of spans) {
    expect(new Date(`${start}T00:00:00Z`).getUTCDay()).toBe(1); // Monday
  }
  await screenshot(page, 'analytics-sla');

  const title = await now.locator('tbody tr td a').first().textContent();
  await now.locator('tbody tr td a').first().click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(title ?? '');
});

test('trends: a chart per figure, by day or by month', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/analytics/trends');
  await hydrated(page);
  const trends = page.getByRole('region', { name: 'Trends' });
  await expect(trends.getByRole('img', { name: 'Passed on' })).toBeVisible();
  await expect(trends.getByRole('img', { name: 'SLA breaches' })).toBeVisible();
  // The default period: the last 30 days, a row each.
  await expect(trends.locator('tbody tr')).toHaveCount(30);
  // The columns show on a phone too (the board's column rules once hid them).
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(trends.locator('.column-chart rect:not([height="0.00"])').first()).toBeVisible();
  await screenshot(page, 'analytics-trends');
  await page.getByRole('button', { name: 'Months' }).click();
  await expect(page).toHaveURL(/by=month/);
  const months = await trends.locator('tbody tr td:first-child').allTextContents();
  expect(months.length).toBeGreaterThanOrEqual(1);
  expect(months.length).toBeLessThanOrEqual(2);
  for (const start of months) expect(start).toMatch(/^\d{4}-\d{2}-01$/);
});

test('the evening digest settings: a bad webhook is refused, good settings are kept', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Account menu' }).or(page.getByLabel('Account menu')).first().click();
  await page.getByRole('link', { name: 'Evening digest' }).click();
  await expect(page).toHaveURL(/\/settings\/digest$/);
  await hydrated(page);

  await expect(page.getByRole('region', { name: 'Today so far' })).toContainText('Konveyer, your day');
  await page.getByLabel('Send me the evening digest').check();
  await page.getByLabel('Time', { exact: true }).fill('19:30');
  await page.getByLabel('Messenger webhook (optional)').fill('telegram.org/bot1/sendMessage');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('Enter an address starting with http:// or https://.');

  await page.getByLabel('Messenger webhook (optional)').fill('https://api.telegram.org/bot1:abc/sendMessage');
  await page.getByLabel('Chat id (optional)').fill('-100200');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');

  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Send me the evening digest')).toBeChecked();
  await expect(page.getByLabel('Time', { exact: true })).toHaveValue('19:30');
  await expect(page.locator('.zone-note')).toContainText('Europe/Moscow');
  await expect(page.getByLabel('Chat id (optional)')).toHaveValue('-100200');
  await screenshot(page, 'digest-settings');
});

test('an employee gets every dashboard over the deals they may see, with a filter on the amount', async ({ page }) => {
  // The administrator's funnel over every deal, then the employee's over theirs (their
  // departments' stages and their own deals): the server sums copies of the rollups for them.
  // The demo's 90 days.
  const from = new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10);
  const entered = async () => {
    await page.goto(`/analytics?from=${from}`);
    await hydrated(page);
    const row = page.getByRole('region', { name: 'Funnel' }).getByRole('row', { name: /Client manager/ });
    return Number((await row.locator('td').nth(1).textContent())?.replace(/\D/g, ''));
  };
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  const everyDeal = await entered();
  await page.context().clearCookies();
  await signIn(page, 'anna.smirnova@konveyer.demo');
  await expect(page).toHaveURL(/\/board$/);
  const theirs = await entered();
  expect(theirs).toBeLessThan(everyDeal);

  for (const [path, region] of [
    ['/analytics?min=1000000', 'Time in stage'],
    ['/analytics/team?min=1000000', 'Departments'],
    ['/analytics/sla?min=1000000', 'Breaches by stage'],
    ['/analytics/trends?min=1000000', 'Trends'],
  ]) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole('region', { name: region })).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);
  }
  await page.goto('/analytics?min=1000000');
  await hydrated(page);
  await screenshot(page, 'analytics-employee');
});

test("an administrator picks the organisation's time zone: the analytics recount their days in it", async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/settings/time-zone');
  await hydrated(page);
  const form = page.getByRole('form', { name: "The organisation's time zone" });
  const zone = form.getByLabel("Organisation's time zone");
  // The demo works on Moscow time.
  await expect(zone).toHaveValue('Europe/Moscow');
  await zone.fill('Mars/Olympus');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('time zone');

  await zone.fill('Asia/Vladivostok');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('status')).toHaveText('The analytics now count days in Asia/Vladivostok.');
  await screenshot(page, 'organisation-time-zone');

  // The admin reads Moscow days, no longer the stored ones: the dashboards still fill.
  await page.goto('/analytics');
  await hydrated(page);
  await page.getByRole('button', { name: '90 days' }).click();
  await expect(page.getByRole('region', { name: 'Returns for rework' }).locator('tbody tr').first()).toBeVisible();

  // Back to Moscow for the other tests.
  await page.goto('/settings/time-zone');
  await hydrated(page);
  await zone.fill('Europe/Moscow');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('status')).toHaveText('The analytics now count days in Europe/Moscow.');
  await page.reload();
  await expect(zone).toHaveValue('Europe/Moscow');
});
