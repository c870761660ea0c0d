import { expect, test } from '@playwright/test';
import { hydrated, screenshot, signIn } from './helpers';

const MANAGER = 'dmitry.volkov@konveyer.demo';
const PHONE_AGENT =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

test('a person sees where they are signed in and ends the other session, which is signed out at once', async ({ browser }) => {
  const phone = await browser.newContext({ userAgent: PHONE_AGENT, viewport: { width: 375, height: 812 } });
  const laptop = await browser.newContext();
  const phonePage = await phone.newPage();
  await signIn(phonePage, MANAGER);
  await expect(phonePage).toHaveURL(/\/board$/);
  const page = await laptop.newPage();
  await signIn(page, MANAGER);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);

  // The account menu leads to the sessions page.
  await page.getByLabel('Account menu').first().click();
  await page.getByRole('link', { name: 'Sessions' }).click();
  await expect(page).toHaveURL(/\/settings\/sessions$/);
  await hydrated(page);
  const rows = page.locator('.session-row');
  const here = rows.filter({ hasText: 'This browser' });
  await expect(here).toHaveCount(1);
  await expect(here).toContainText('on Linux');
  const onPhone = rows.filter({ hasText: 'Chrome on Android' });
  await expect(onPhone).toHaveCount(1);
  await expect(onPhone).toContainText('last active');
  await screenshot(page, 'sessions');

  await onPhone.getByRole('button', { name: 'End session' }).click();
  await expect(onPhone).toHaveCount(0);
  await expect(here).toHaveCount(1);
  // The phone's next page is sign-in.
  await phonePage.goto('/board');
  await expect(phonePage).toHaveURL(/\/login$/);
  // "Sign out here" ends this browser's own session.
  await here.getByRole('button', { name: 'Sign out here' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await phone.close();
  await laptop.close();
});
