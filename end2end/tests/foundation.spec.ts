import { expect, test } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

test.describe.configure({ mode: 'serial' });

test('the sign-in page looks right at both widths', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Sign in to Konveyer' })).toBeVisible();
  await screenshot(page, 'sign-in');
});

test('wrong password shows the error next to the form and stays signed out', async ({ page }) => {
  await signIn(page, ADMIN, 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('Wrong e-mail or password.');
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/board');
  await expect(page).toHaveURL(/\/login$/);
});

test('sign in, see the shell, switch language (kept per user), sign out', async ({ page, browser }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const nav = page.getByRole('navigation', { name: 'Main navigation' }).first();
  for (const section of ['Board', 'Clients', 'Analytics', 'Admin']) {
    await expect(nav.getByRole('link', { name: section })).toBeVisible();
  }
  await screenshot(page, 'shell-board');
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByLabel('Account menu').click();
  await page.getByRole('button', { name: 'Русский' }).click();
  await expect(page.getByRole('navigation', { name: 'Основная навигация' }).first()
    .getByRole('link', { name: 'Доска' })).toBeVisible();

  // Kept on reload, and in a fresh browser that signs in as the same user.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Доска' })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('Меню учётной записи').click();
  await screenshot(page, 'shell-menu-ru');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.reload();
  const other = await browser.newContext();
  const second = await other.newPage();
  await signIn(second, ADMIN);
  await expect(second).toHaveURL(/\/board$/);
  await expect(second.getByRole('heading', { name: 'Доска' })).toBeVisible();
  await other.close();

  await hydrated(page);
  await page.getByLabel('Меню учётной записи').click();
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Board' })).toBeVisible();
  // The menu stays open after picking a language.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/board');
  await expect(page).toHaveURL(/\/login$/);
});

test('admin pages list departments and users', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/admin/departments');
  await hydrated(page);
  await expect(page.getByRole('cell', { name: 'Credit committee', exact: true })).toBeVisible();
  await screenshot(page, 'admin-departments');
  await page.goto('/admin/users');
  await hydrated(page);
  await expect(page.getByText('igor.sokolov@konveyer.demo')).toBeVisible();
  await screenshot(page, 'admin-users');
});

test('a deactivated user cannot sign in and loses the live session', async ({ page, browser }) => {
  const victimContext = await browser.newContext();
  const victim = await victimContext.newPage();
  await signIn(victim, 'nikolai.egorov@konveyer.demo');
  await expect(victim).toHaveURL(/\/board$/);

  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/admin/users');
  await hydrated(page);
  await page.getByRole('button', { name: 'Edit Nikolai Egorov' }).click();
  await page.getByLabel('Active (can sign in)').uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  await expect(page.getByRole('row', { name: /Nikolai Egorov/ }).getByText('Deactivated')).toBeVisible();

  await victim.reload();
  await expect(victim).toHaveURL(/\/login$/);
  await signIn(victim, 'nikolai.egorov@konveyer.demo');
  await expect(victim.getByRole('alert')).toHaveText('Wrong e-mail or password.');
  await victimContext.close();
});

test('an administrator creates a user who can then sign in', async ({ page, browser }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/admin/users');
  await hydrated(page);
  await page.getByRole('button', { name: 'New user' }).click();
  await page.getByLabel('Name').fill('Irina Belova');
  await page.getByLabel('E-mail').fill('irina.belova@konveyer.demo');
  await page.getByLabel('Role').selectOption('employee');
  await page.getByRole('checkbox', { name: 'Scoring' }).check();
  await screenshot(page, 'admin-new-user');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Create' }).click();
  const notice = page.getByRole('status');
  await expect(notice).toContainText('Irina Belova can sign in with the password');
  const password = (await notice.textContent())!.match(/password (\S+)\./)![1];

  const fresh = await browser.newContext();
  const newcomer = await fresh.newPage();
  await signIn(newcomer, 'irina.belova@konveyer.demo', password);
  await expect(newcomer).toHaveURL(/\/board$/);
  // Not an administrator: no Admin section.
  await expect(newcomer.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await fresh.close();
});

test('an administrator adds a department with a head, and a blank name is refused', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/admin/departments');
  await hydrated(page);
  await page.getByRole('button', { name: 'New department' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('alert')).toHaveText('Fill in the name.');
  await page.getByLabel('Name').fill('Collections');
  await page.getByLabel('Head').selectOption({ label: 'Pavel Orlov' });
  await page.getByRole('button', { name: 'Create' }).click();
  const row = page.getByRole('row', { name: /Collections/ });
  await expect(row).toContainText('Pavel Orlov');
});
