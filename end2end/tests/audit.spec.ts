import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

test('an admin reads the audit log: a failed sign-in, filters in the URL, CSV and retention', async ({ page }) => {
  // Someone mistypes a password first.
  await signIn(page, 'irina.nobody@konveyer.demo', 'wrong-password-1');
  await expect(page.getByRole('alert')).toBeVisible();
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);

  await page.goto('/admin/users');
  await hydrated(page);
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
  await hydrated(page);
  const rows = page.locator('.audit-row');
  await expect(rows.filter({ hasText: 'Signed in' }).first()).toContainText('Olga Petrova');

  // The filter is a plain form: its choice lands in the URL and survives a reload.
  await page.getByLabel('Action').selectOption('auth.sign_in_failed');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/action=auth\.sign_in_failed/);
  await expect(rows.first()).toContainText('Failed sign-in');
  await expect(rows.first()).toContainText('irina.nobody@konveyer.demo');
  await expect(rows.filter({ hasText: 'Signed in' })).toHaveCount(0);
  await screenshot(page, 'audit-log');

  // The same rows as CSV.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  expect(csv).toContain('irina.nobody@konveyer.demo');
  expect(csv).not.toContain('auth.sign_in,');

  // Retention: below the floor is refused with a message; a valid one is kept and logged.
  const retention = page.getByLabel(/Keep entries/);
  await retention.fill('7');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.audit-retention [role="alert"]')).toContainText('30');
  await retention.fill('400');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.goto('/admin/audit?action=settings.changed');
  await hydrated(page);
  await expect(rows.first()).toContainText('365 -> 400 days');
});
