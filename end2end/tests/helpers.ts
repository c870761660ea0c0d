import { expect, type Page } from '@playwright/test';

export const DEMO_PASSWORD = 'konveyer-demo';
export const ADMIN = 'admin@konveyer.demo';

/** Waits until the WebAssembly has hydrated the page, so clicks reach their handlers. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel(/E-mail|Эл. почта/).fill(email);
  await page.getByLabel(/Password|Пароль/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|Войти)$/ }).click();
}

export async function screenshot(page: Page, name: string) {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: `screenshots/${name}-${width}.png`, fullPage: true });
  }
}

/** Creates a deal from the board's quick form in the first stage and returns its card. */
export async function createDealOnBoard(page: Page, title: string, amount = '500000') {
  const intake = page.getByRole('region', { name: 'Client manager' });
  await intake.getByRole('button', { name: '+ New deal' }).click();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Client', { exact: true }).fill('E2E Client');
  await page.getByLabel('Phone', { exact: true }).fill('+7 900 123-45-67');
  await page.getByLabel('Amount, RUB').fill(amount);
  await page.getByRole('button', { name: 'Create' }).click();
  const card = intake.getByRole('listitem').filter({ hasText: title });
  await expect(card).toBeVisible();
  return card;
}
