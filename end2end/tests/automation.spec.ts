import { expect, test } from '@playwright/test';
import { ADMIN, createDealOnBoard, hydrated, screenshot, signIn } from './helpers';

test('an admin builds a rule with clicks, a new deal runs it, the log and a test run show it', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  // The page's code loads on first opening (a lazy route).
  await page.goto('/admin/automation');
  await hydrated(page);
  await page.getByRole('link', { name: 'New rule' }).click();
  await expect(page).toHaveURL(/\/admin\/automation\/new$/);
  await hydrated(page);

  const name = `Welcome ${Date.now()}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Name', { exact: true }).blur();
  // Only for deals whose title says so: the rest of the suite's deals are left alone.
  await page.getByTestId('add-condition').click();
  const condition = page.getByTestId('condition-row');
  await condition.getByLabel('Condition').selectOption('title');
  await condition.locator('input[name="condition_text"]').fill('Automation E2E');
  await condition.locator('input[name="condition_text"]').blur();

  await page.getByTestId('add-action').click();
  const first = page.getByTestId('action-row').nth(0);
  await first.getByLabel('Action').selectOption('comment');
  await first.getByLabel('Text').fill('Welcome aboard, the conveyor has your application');
  await first.getByLabel('Text').blur();
  await page.getByTestId('add-action').click();
  const second = page.getByTestId('action-row').nth(1);
  await second.getByLabel('Action').selectOption('create_task');
  await second.getByLabel('Task').fill('Call the client back');
  await second.getByLabel('Task').blur();

  // A bad rule is refused with a message and nothing saved: an empty comment.
  await page.getByTestId('add-action').click();
  const third = page.getByTestId('action-row').nth(2);
  await third.getByLabel('Action').selectOption('comment');
  await page.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByRole('alert')).toContainText('Fill in the comment');
  await third.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('action-row')).toHaveCount(2);

  await page.getByRole('button', { name: 'Save rule' }).click();
  await expect(page).toHaveURL(/\/admin\/automation\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: /v1/ })).toBeVisible();
  await screenshot(page, 'automation-editor');

  // A deal made on the board runs the rule: its comment and task show on the card.
  await page.goto('/board');
  await hydrated(page);
  const title = `Automation E2E ${Date.now()}`;
  const card = await createDealOnBoard(page, title);
  await card.getByRole('link', { name: title }).click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  const dealId = page.url().split('/').pop() ?? '';
  await expect.poll(async () => {
    await page.reload();
    return page.getByText('Welcome aboard, the conveyor has your application').count();
  }, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect(page.getByText(`Rule: ${name}`).first()).toBeVisible();
  await expect(page.getByText('Call the client back').first()).toBeVisible();

  // The rule's log shows the run; a test run on the deal keeps nothing.
  await page.goto('/admin/automation');
  await hydrated(page);
  const row = page.getByTestId('rule-row').filter({ hasText: name });
  await expect(row).toContainText('done');
  await row.getByRole('link', { name }).click();
  await hydrated(page);
  const run = page.getByTestId('run-row').first();
  await expect(run).toContainText('done');
  await expect(run).toContainText('Condition 1: holds');
  await page.getByLabel('Deal number').fill(dealId);
  await page.getByRole('button', { name: 'Run the test' }).click();
  await expect(page.getByTestId('test-log')).toContainText('Test run: nothing was kept');
  await expect(page.getByTestId('test-log')).toContainText('Create a task');
  await screenshot(page, 'automation-log');

  // Switched off, it stays in the list as off.
  await page.goto('/admin/automation');
  await hydrated(page);
  const listed = page.getByTestId('rule-row').filter({ hasText: name });
  await listed.getByRole('button', { name: 'Switch off' }).click();
  await expect(listed).toContainText('off');
  await screenshot(page, 'automation-rules');
});

test('a visit report with two service lines becomes a deal for each, with a main manager and a task (the demo rule)', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const visits = await page.locator('select[name="pipeline"] option', { hasText: 'Field visits' }).getAttribute('value');
  const client = `Visit client ${Date.now()}`;
  await page.goto(`/deals/new?pipeline=${visits}`);
  await hydrated(page);
  await page.getByLabel('Title', { exact: true }).fill(`Visit to ${client}`);
  await page.getByLabel('Client', { exact: true }).fill(client);
  await page.getByLabel('Phone', { exact: true }).fill('+7 912 000-33-44');
  await page.getByRole('checkbox', { name: 'Loans' }).check();
  await page.getByRole('checkbox', { name: 'Leasing' }).check();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  const visitUrl = page.url();
  await hydrated(page);
  const timeline = page.getByRole('region', { name: 'Timeline' });
  await timeline.getByRole('textbox', { name: 'Comment' }).fill('Needs a fleet of trucks by spring');
  await timeline.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(timeline.locator('.timeline-list li.entry-comment').first()).toContainText('fleet of trucks');

  // The representative marks the report written on the visits board.
  await page.goto(`/board?pipeline=${visits}`);
  await hydrated(page);
  const title = `Visit to ${client}`;
  const card = page.getByRole('region', { name: 'Visit planned' }).getByRole('listitem').filter({ hasText: title });
  await card.getByRole('button', { name: `Move ${title}` }).click();
  await card.getByLabel('Stage').selectOption({ label: 'Report written' });
  await card.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Report written' }).getByRole('listitem').filter({ hasText: title })).toBeVisible();

  // The client now has the visit and one deal per line on the loan conveyor.
  await page.goto(visitUrl);
  await hydrated(page);
  await page.locator('.facts').getByRole('link', { name: client }).click();
  await expect(page).toHaveURL(/\/clients\/\d+$/);
  const deals = page.locator('table.client-deals tbody tr');
  await expect.poll(async () => {
    await page.reload();
    return deals.filter({ hasText: `${client}: after the visit` }).count();
  }, { timeout: 20_000 }).toBe(2);
  await deals.filter({ hasText: `${client}: after the visit` }).first().getByRole('link').first().click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await hydrated(page);
  await expect(page.getByText('Needs a fleet of trucks by spring').first()).toBeVisible();
  await expect(page.getByText(/Main manager: /).first()).toBeVisible();
  await screenshot(page, 'automation-visit-deal');
});
