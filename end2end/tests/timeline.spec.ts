import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

const MANAGER = 'dmitry.volkov@konveyer.demo';

test('a comment mentions a colleague, whose bell rings and who opens the deal from it', async ({ browser }) => {
  const adminContext = await browser.newContext();
  const managerContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const manager = await managerContext.newPage();

  // The manager watches the board; their bell starts quiet (or with older notifications).
  await signIn(manager, MANAGER);
  await expect(manager).toHaveURL(/\/board$/);
  await hydrated(manager);
  const bell = manager.locator('.topbar .bell');
  await expect(bell).toBeVisible();
  const before = Number((await bell.locator('.bell-count').textContent({ timeout: 1000 }).catch(() => '0')) || '0');

  await signIn(admin, ADMIN);
  await expect(admin).toHaveURL(/\/board$/);
  await hydrated(admin);
  await admin.locator('.deal-card h3 a').first().click();
  await expect(admin).toHaveURL(/\/deals\/\d+$/);
  await hydrated(admin);
  const dealTitle = (await admin.getByRole('heading', { level: 1 }).textContent())?.trim() ?? '';

  const timeline = admin.getByRole('region', { name: 'Timeline' });
  const box = timeline.getByRole('textbox', { name: 'Comment' });
  // A blank comment is refused with a message.
  await timeline.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(timeline.getByRole('alert')).toContainText('comment');

  // Typing @ offers colleagues; choosing one writes their handle.
  await box.fill('Please check the income <img src=x onerror=window.__xss=1> @dmi');
  await timeline.getByRole('button', { name: /Mention Dmitry Volkov/ }).click();
  await expect(box).toHaveValue(/@dmitry\.volkov $/);
  await box.press('End');
  await box.type('today');
  await timeline.getByRole('button', { name: 'Comment', exact: true }).click();
  const comment = timeline.locator('.timeline-list li.entry-comment').first();
  await expect(comment).toContainText('@dmitry.volkov today');
  await expect(comment).toContainText('<img src=x onerror=window.__xss=1>');
  expect(await admin.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

  // The filter shows one kind at a time.
  await timeline.getByRole('button', { name: /^Comments/ }).click();
  await expect(timeline.locator('.timeline-list li:not(.entry-comment)')).toHaveCount(0);
  await timeline.getByRole('button', { name: /^Moves/ }).click();
  await expect(timeline.locator('.timeline-list li.entry-comment')).toHaveCount(0);
  await timeline.getByRole('button', { name: /^All/ }).click();
  await screenshot(admin, 'deal-timeline');

  // The manager's bell counts it without a reload.
  await expect(bell.locator('.bell-count')).toHaveText(String(before + 1));
  await bell.click();
  await expect(manager).toHaveURL(/\/notifications$/);
  await hydrated(manager);
  const item = manager.locator('.notification').first();
  await expect(item).toContainText('mentioned you');
  await expect(item).toContainText('Please check the income');
  await screenshot(manager, 'notifications');
  await item.getByRole('link', { name: dealTitle }).click();
  await expect(manager).toHaveURL(/\/deals\/\d+$/);
  await expect(manager.getByRole('region', { name: 'Timeline' })).toContainText('@dmitry.volkov today');
  await manager.goto('/notifications');
  await hydrated(manager);
  await manager.getByRole('button', { name: 'Mark all as read' }).click();
  await expect(manager.locator('.notification.unread')).toHaveCount(0);
  await expect(bell.locator('.bell-count')).toHaveCount(0);

  await adminContext.close();
  await managerContext.close();
});
