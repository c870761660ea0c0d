import { expect, test } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

test('an administrator sees the background jobs by state', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await page.goto('/admin/jobs');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Background jobs' })).toBeVisible();
  const states = page.getByRole('navigation', { name: 'Job states' });
  // The demo's tasks have reminder jobs waiting; the digest ticks every minute.
  await states.getByRole('link', { name: /^Queued/ }).click();
  await expect(page).toHaveURL(/state=queued/);
  await expect(page.locator('.job').first()).toBeVisible();
  await expect(page.locator('.job-kind').filter({ hasText: /task\.reminder|digest\.tick/ }).first()).toBeVisible();
  await screenshot(page, 'admin-jobs');
});

test('the jobs page is for administrators only', async ({ page }) => {
  await signIn(page, 'anna.smirnova@konveyer.demo');
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/admin/jobs');
  await hydrated(page);
  await expect(page.getByRole('alert')).toContainText(/access/i);
});
