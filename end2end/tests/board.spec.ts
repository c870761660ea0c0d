import { expect, test } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

test.describe.configure({ mode: 'serial' });

test('the board shows the demo conveyor with counts and sums', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const intake = page.getByRole('region', { name: 'Client manager' });
  await expect(intake.getByRole('heading', { name: 'Client manager' })).toBeVisible();
  await expect(intake.locator('.count').first()).not.toHaveText('0');
  await expect(page.getByRole('region', { name: 'Issued' })).toBeVisible();
  await screenshot(page, 'board');
});

test('a new deal, a move with the keyboard, a return without a reason refused', async ({ page }) => {
  const title = `Playwright mortgage ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const intake = page.getByRole('region', { name: 'Client manager' });
  await intake.getByRole('button', { name: '+ New deal' }).click();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Client', { exact: true }).fill('Test Client');
  await page.getByLabel('Phone', { exact: true }).fill('+7 900 111-22-33');
  await page.getByLabel('Amount, RUB').fill('1 500 000');
  await page.getByRole('button', { name: 'Create' }).click();
  const card = page.getByRole('listitem').filter({ hasText: title });
  await expect(card).toBeVisible();
  await expect(card).toContainText('1\u202f500\u202f000 RUB');

  // Move to Scoring using only the keyboard.
  await card.getByRole('button', { name: `Move ${title}` }).focus();
  await page.keyboard.press('Enter');
  await card.getByLabel('Stage').selectOption({ label: 'Scoring' });
  await card.getByRole('button', { name: 'Move', exact: true }).focus();
  await page.keyboard.press('Enter');
  const scoring = page.getByRole('region', { name: 'Scoring' });
  const moved = scoring.getByRole('listitem').filter({ hasText: title });
  await expect(moved).toBeVisible();

  // Back to the client manager without a reason: refused with a message.
  await moved.getByRole('button', { name: `Move ${title}` }).click();
  await moved.getByLabel('Stage').selectOption({ label: 'Client manager' });
  await moved.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(moved.getByRole('alert')).toHaveText('A return for rework needs a reason.');
  await moved.getByLabel('Reason for the return').fill('Income statement missing');
  await moved.getByRole('button', { name: 'Move', exact: true }).click();
  const back = intake.getByRole('listitem').filter({ hasText: title });
  await expect(back).toBeVisible();

  // The deal page shows the history, newest first, with the return and its reason.
  await back.getByRole('link', { name: title }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  const history = page.getByRole('list').filter({ hasText: 'Income statement missing' });
  const steps = history.getByRole('listitem');
  await expect(steps).toHaveCount(3);
  await expect(steps.nth(0)).toContainText('Scoring → Client manager');
  await expect(steps.nth(0)).toContainText('Return for rework');
  await expect(steps.nth(1)).toContainText('Client manager → Scoring');
  await expect(steps.nth(2)).toContainText('Client manager');
  await expect(page.getByRole('heading', { name: 'Time in each stage' })).toBeVisible();
  await screenshot(page, 'deal');
});

test('search narrows the board and lives in the URL', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/board?q=Playwright');
  await hydrated(page);
  const intake = page.getByRole('region', { name: 'Client manager' });
  await expect(intake.getByRole('listitem').first()).toContainText('Playwright');
  await expect(intake.getByRole('listitem').filter({ hasNotText: 'Playwright' })).toHaveCount(0);
  await expect(page.getByRole('searchbox')).toHaveValue('Playwright');
});

test('a second browser sees new deals and moves live, without reloading', async ({ page, browser }) => {
  const title = `Live deal ${Date.now()}`;
  const watcherContext = await browser.newContext();
  const watcher = await watcherContext.newPage();
  await signIn(watcher, ADMIN);
  await expect(watcher).toHaveURL(/\/board$/);
  await hydrated(watcher);

  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const intake = page.getByRole('region', { name: 'Client manager' });
  await intake.getByRole('button', { name: '+ New deal' }).click();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Client', { exact: true }).fill('Live Client');
  await page.getByLabel('Phone', { exact: true }).fill('+7 900 555-44-33');
  await page.getByLabel('Amount, RUB').fill('250000');
  await page.getByRole('button', { name: 'Create' }).click();

  const seen = watcher.getByRole('region', { name: 'Client manager' }).getByRole('listitem').filter({ hasText: title });
  await expect(seen).toBeVisible({ timeout: 5000 });

  const card = intake.getByRole('listitem').filter({ hasText: title });
  await card.getByRole('button', { name: `Move ${title}` }).click();
  await card.getByLabel('Stage').selectOption({ label: 'Scoring' });
  await card.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(
    watcher.getByRole('region', { name: 'Scoring' }).getByRole('listitem').filter({ hasText: title }),
  ).toBeVisible({ timeout: 5000 });
  await watcherContext.close();
});

test('drag a card with the mouse; a return dropped on an earlier stage asks for its reason', async ({ page }) => {
  const title = `Dragged deal ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const intake = page.getByRole('region', { name: 'Client manager' });
  const scoring = page.getByRole('region', { name: 'Scoring' });
  await intake.getByRole('button', { name: '+ New deal' }).click();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Client', { exact: true }).fill('Drag Client');
  await page.getByLabel('Phone', { exact: true }).fill('+7 900 777-66-55');
  await page.getByLabel('Amount, RUB').fill('990000');
  await page.getByRole('button', { name: 'Create' }).click();
  const card = intake.getByRole('listitem').filter({ hasText: title });
  await expect(card).toBeVisible();

  await card.dragTo(scoring);
  const inScoring = scoring.getByRole('listitem').filter({ hasText: title });
  await expect(inScoring).toBeVisible();

  await inScoring.dragTo(intake);
  const dialog = page.getByRole('dialog', { name: 'Reason for the return' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('A return for rework needs a reason.');
  await dialog.getByLabel('Reason for the return').fill('Wrong product chosen');
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(intake.getByRole('listitem').filter({ hasText: title })).toBeVisible();
  await expect(dialog).toHaveCount(0);
});

test('columns are paged: 50 cards first, then more on request, counts stay exact', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const issued = page.getByRole('region', { name: 'Issued' });
  const total = Number(await issued.locator('.column-head .count').textContent());
  expect(total).toBeGreaterThan(50);
  await expect(issued.getByRole('listitem')).toHaveCount(50);
  await issued.getByRole('button', { name: /Show more/ }).click();
  await expect(issued.getByRole('listitem')).toHaveCount(Math.min(total, 100));
});
