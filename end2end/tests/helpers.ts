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
