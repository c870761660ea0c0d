import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

test('the clients list searches, and a company page shows its people and local time', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  // The board's cards show the client's local time.
  await expect(page.locator('.deal-card .local-time').first()).toBeVisible();

  await page.goto('/clients');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Clients' })).toBeVisible();
  await expect(page.locator('.client-list tbody tr')).toHaveCount(25);
  await expect(page.locator('.pager')).toContainText('1–25 of');
  await screenshot(page, 'clients-list');
  // The pager's buttons page through the list (the next one once printed its own source).
  await expect(page.locator('.pager')).not.toContainText('set_query');
  await page.getByRole('button', { name: 'Next', exact: true }).click();
  await expect(page).toHaveURL(/page=1/);
  await expect(page.locator('.pager')).toContainText('26–50 of');
  await page.getByRole('button', { name: 'Previous', exact: true }).click();
  await expect(page.locator('.pager')).toContainText('1–25 of');

  await page.getByRole('searchbox', { name: /Search by name/ }).fill('sibirskie');
  await page.getByRole('searchbox', { name: /Search by name/ }).press('Enter');
  await expect(page).toHaveURL(/q=sibirskie/);
  await expect(page.locator('.client-list tbody tr')).toHaveCount(1);
  await page.getByRole('link', { name: 'Sibirskie Seti LLC' }).click();
  await expect(page).toHaveURL(/\/clients\/\d+$/);
  await hydrated(page);
  await expect(page.locator('.facts')).toContainText('5406123456');
  await expect(page.locator('.page-head .local-time')).toHaveAttribute('title', /Asia\/Novosibirsk/);
  await expect(page.getByRole('heading', { name: 'People' })).toBeVisible();
});

test('a new client with a known phone is warned about, saved anyway, and shown escaped', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await page.goto('/clients/new');
  await hydrated(page);
  const form = page.locator('form.client-form');

  // A blank name is refused with a message.
  await form.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(form.getByRole('alert')).toContainText('name');

  const name = 'Anna "><img src=x onerror=window.__xss=1> <script>window.__xss=2</script>';
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Phones').first().fill('8 (383) 200-10-00');
  await form.getByRole('button', { name: '+ E-mail' }).click();
  await form.getByLabel('E-mails').last().fill('anna@seti.example');
  await form.getByLabel('Address').fill('Novosibirsk, Krasny prospekt 2');
  // The time zone is suggested from the address and taken with one tap.
  await expect(form.locator('.suggestion')).toContainText('Asia/Novosibirsk');
  await form.locator('.suggestion').getByRole('button').click();
  await expect(form.getByLabel('Time zone')).toHaveValue('Asia/Novosibirsk');
  await form.getByLabel('Tags').fill('vip, <b>bold</b>');
  await form.getByRole('button', { name: 'Save', exact: true }).click();

  // The company's phone, written the national way, is recognised.
  const warning = form.locator('.duplicates');
  await expect(warning).toContainText('This client may already exist');
  await expect(warning).toContainText('Sibirskie Seti LLC');
  await expect(warning).toContainText('same phone');
  await expect(page).toHaveURL(/\/clients\/new$/);
  await warning.getByRole('button', { name: 'Save anyway' }).click();

  await expect(page).toHaveURL(/\/clients\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await expect(page.locator('.facts')).toContainText('<b>bold</b>');
  await expect(page.locator('.page-head .local-time')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
});

test('the client page lists the client deals across pipelines and the deal card links to it', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  // A demo deal: its client has a time zone (deals made by other tests may not).
  await page.locator('.deal-card:has(.local-time) h3 a').first().click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await hydrated(page);
  const dealUrl = page.url();
  await expect(page.locator('.facts .local-time')).toBeVisible();
  await page.locator('.facts a[href^="/clients/"]').click();
  await expect(page).toHaveURL(/\/clients\/\d+$/);
  await hydrated(page);
  const deals = page.locator('.client-deals tbody tr');
  await expect(deals.first()).toBeVisible();
  await expect(deals.first()).toContainText('Loan conveyor');
  await screenshot(page, 'client-card');

  // Editing the client keeps it; a second phone is added.
  await page.getByRole('button', { name: 'Edit' }).click();
  const form = page.locator('form.client-form');
  await form.getByRole('button', { name: '+ Phone' }).click();
  await form.getByLabel('Phones').last().fill('+7 999 111-22-33');
  await form.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(form).toHaveCount(0);
  await expect(page.locator('.facts')).toContainText('+7 999 111-22-33');
  expect(dealUrl).toMatch(/\/deals\/\d+$/);

  // A new deal from the client page is that client's, not a new client's.
  const clientUrl = page.url();
  const clientName = (await page.getByRole('heading', { level: 1 }).textContent())?.replace(/Person|Company/, '').trim() ?? '';
  await page.getByRole('link', { name: 'New deal' }).click();
  await expect(page).toHaveURL(/\/deals\/new\?client=\d+$/);
  await hydrated(page);
  await expect(page.locator('.linked-client')).toHaveText(clientName);
  await page.getByLabel('Title', { exact: true }).fill('Car loan for the same client');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await hydrated(page);
  await page.locator('.facts a[href^="/clients/"]').click();
  await expect(page).toHaveURL(clientUrl);
  await expect(page.locator('.client-deals tbody tr').filter({ hasText: 'Car loan for the same client' })).toHaveCount(1);
});
