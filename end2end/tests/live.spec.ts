import { expect, test, type Browser, type Page } from '@playwright/test';
import { ADMIN, DEMO_PASSWORD, createDealOnBoard, hydrated, screenshot, signIn } from './helpers';

/** Moves a card with its "Move to…" form. */
async function moveCard(page: Page, title: string, from: string, to: string) {
  const card = page.getByRole('region', { name: from }).getByRole('listitem').filter({ hasText: title });
  await card.getByRole('button', { name: `Move ${title}` }).click();
  await card.getByLabel('Stage').selectOption({ label: to });
  await card.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('region', { name: to }).getByRole('listitem').filter({ hasText: title })).toBeVisible();
}

/** A second person with a board open, in a browser of their own. */
async function watcher(browser: Browser, email: string, password = DEMO_PASSWORD) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  return { context, page };
}

function cardIn(page: Page, stage: string, title: string) {
  return page.getByRole('region', { name: stage }).getByRole('listitem').filter({ hasText: title });
}

test('a move reaches a second board in place: only that card and the totals change', async ({ page, browser }) => {
  const title = `In place ${Date.now()}`;
  const other = `Bystander ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await createDealOnBoard(page, other);
  await createDealOnBoard(page, title);

  const { context, page: board } = await watcher(browser, ADMIN);
  await expect(cardIn(board, 'Client manager', other)).toBeVisible();
  // Mark an unrelated card's element: a reload of the columns would replace it.
  await cardIn(board, 'Client manager', other).evaluate((el) => el.setAttribute('data-marked', 'yes'));
  const scoringCount = board.locator('section.column[aria-label="Scoring"] .column-head .count');
  const before = Number(await scoringCount.textContent());

  await moveCard(page, title, 'Client manager', 'Scoring');
  await expect(cardIn(board, 'Scoring', title)).toBeVisible({ timeout: 5000 });
  await expect(cardIn(board, 'Client manager', title)).toHaveCount(0);
  await expect(scoringCount).toHaveText(String(before + 1));
  await expect(cardIn(board, 'Client manager', other)).toHaveAttribute('data-marked', 'yes');
  await screenshot(board, 'live-board');
  await context.close();
});

test('a board that lost its connection shows the moves made meanwhile', async ({ page, browser }) => {
  const title = `Offline ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await createDealOnBoard(page, title);

  const { context, page: board } = await watcher(browser, ADMIN);
  await expect(cardIn(board, 'Client manager', title)).toBeVisible();
  await context.setOffline(true);
  await moveCard(page, title, 'Client manager', 'Scoring');
  await board.waitForTimeout(2000);
  await expect(cardIn(board, 'Scoring', title)).toHaveCount(0);
  await context.setOffline(false);
  // EventSource reconnects by itself and sends the last event id it saw.
  await expect(cardIn(board, 'Scoring', title)).toBeVisible({ timeout: 15000 });
  await context.close();
});

test('a deactivated person stops receiving moves on the board they have open', async ({ page, browser }) => {
  const stamp = Date.now();
  const email = `live.${stamp}@konveyer.demo`;
  const password = 'live-password-1';
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  const created = await page.request.post('/api/create_user', {
    headers: { Origin: new URL(page.url()).origin },
    data: { user: { name: `Live ${stamp}`, email, role: 'manager', department_ids: [], password } },
  });
  expect(created.ok()).toBeTruthy();
  const userId = (await created.json()).user.id;

  const { context, page: board } = await watcher(browser, email, password);
  const first = `Before ${stamp}`;
  await createDealOnBoard(page, first);
  await expect(cardIn(board, 'Client manager', first)).toBeVisible({ timeout: 5000 });

  const deactivated = await page.request.post('/api/update_user', {
    headers: { Origin: new URL(page.url()).origin },
    data: { id: userId, patch: { active: false } },
  });
  expect(deactivated.ok()).toBeTruthy();
  const second = `After ${stamp}`;
  await createDealOnBoard(page, second);
  await board.waitForTimeout(3000);
  await expect(cardIn(board, 'Client manager', second)).toHaveCount(0);
  await context.close();
});
