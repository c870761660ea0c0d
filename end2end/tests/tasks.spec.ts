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

  // Due a minute ago (in UTC): it is overdue at once and its reminder is due.
  const past = new Date(Date.now() - 60_000).toISOString().slice(0, 16);
  await form.getByLabel('Due (UTC)').fill(past);
  await form.getByRole('button', { name: 'Add task' }).click();
  const item = section.locator('.task').filter({ hasText: 'Call back about the valuation' });
  await expect(item).toBeVisible();
  await expect(item).toContainText('overdue');
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
