import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

test('a task set on a deal shows overdue, reminds its assignee, and is completed from my tasks', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await page.locator('.deal-card h3 a').first().click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await hydrated(page);

  const section = page.getByRole('region', { name: 'Tasks' });
  const form = section.getByRole('form', { name: 'New task' });
  // No due time: refused with a message.
  await form.getByLabel('Task', { exact: true }).fill('Call back about the valuation');
  await form.getByRole('button', { name: 'Add task' }).click();
  await expect(form.getByRole('alert')).toContainText('due time');

  // Due a minute ago on the demo's Moscow time (UTC+3 all year): it is overdue at once
  // and its reminder is due. Read as UTC it would be three hours ahead and not overdue.
  const past = new Date(Date.now() + 3 * 3600_000 - 60_000).toISOString().slice(0, 16);
  await form.getByLabel('Due (Europe/Moscow)').fill(past);
  await form.getByRole('button', { name: 'Add task' }).click();
  const item = section.locator('.task').filter({ hasText: 'Call back about the valuation' });
  await expect(item).toBeVisible();
  await expect(item).toContainText('overdue');
  await expect(item).toContainText(`due ${past.replace('T', ' ')}`);
  await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('Task set: Call back about the valuation');
  await screenshot(page, 'deal-card');

  // The reminder job (every 30 s) rings the admin's own bell.
  await expect(page.locator('.topbar .bell .bell-count')).toBeVisible({ timeout: 45_000 });
  await page.goto('/notifications');
  await hydrated(page);
  await expect(page.locator('.notification').filter({ hasText: 'Task due' }).first()).toContainText('Call back about the valuation');

  await page.goto('/tasks');
  await hydrated(page);
  const mine = page.locator('.task').filter({ hasText: 'Call back about the valuation' });
  await expect(mine).toContainText('overdue');
  await screenshot(page, 'my-tasks');
  await mine.getByRole('checkbox').check();
  await expect(page.getByRole('heading', { name: 'Done' })).toBeVisible();
  await expect(page.locator('.task.done').filter({ hasText: 'Call back about the valuation' })).toBeVisible();
});

test('a person picks their time zone: an unknown one is refused, and times follow the new one', async ({ page }) => {
  await signIn(page, 'pavel.orlov@konveyer.demo');
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await page.getByLabel('Account menu').first().click();
  await page.getByRole('link', { name: 'Time zone: Europe/Moscow' }).click();
  await expect(page).toHaveURL(/\/settings\/time-zone$/);
  await hydrated(page);
  // The organisation's zone is an administrator's.
  await expect(page.getByRole('form', { name: "The organisation's time zone" })).toHaveCount(0);

  const zone = page.getByLabel('Your time zone');
  await zone.fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('time zone');
  await zone.fill('Asia/Novosibirsk');
  await page.getByRole('button', { name: 'Save' }).click();
  // The page reloads so that every time follows; the (closed) account menu names the zone.
  await expect(page.locator('a[href="/settings/time-zone"]').first()).toHaveText('Time zone: Asia/Novosibirsk');
  await hydrated(page);
  await screenshot(page, 'time-zone');

  // A task typed in Novosibirsk time reads back the same there, two hours from now.
  await page.goto('/tasks');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'New task' });
  const due = new Date(Date.now() + 7 * 3600_000 + 2 * 3600_000).toISOString().slice(0, 16);
  await form.getByLabel('Task', { exact: true }).fill('Send the Novosibirsk branch the schedule');
  await form.getByLabel('Due (Asia/Novosibirsk)').fill(due);
  await form.getByRole('button', { name: 'Add task' }).click();
  const task = page.locator('.task').filter({ hasText: 'Send the Novosibirsk branch the schedule' });
  await expect(task).toContainText(`due ${due.replace('T', ' ')}`);
  await expect(task).not.toContainText('overdue');

  // The digest goes by the same zone.
  await page.goto('/settings/digest');
  await hydrated(page);
  await expect(page.locator('.zone-note')).toContainText('Asia/Novosibirsk');
});
