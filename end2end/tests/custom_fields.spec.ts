import { expect, test } from '@playwright/test';
import { ADMIN, createDealOnBoard, hydrated, screenshot, signIn } from './helpers';

test.describe.configure({ mode: 'serial' });

const XSS = 'Checked "><img src=x onerror=window.__xss=1> <script>window.__xss=2</script>';

test('an admin defines fields, a stage requires one, the deal card fills them and the board filters by them', async ({ page }) => {
  const title = `Custom fields deal ${Date.now()}`;
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);

  // The admin defines a select for the loan conveyor and a text field for every pipeline.
  await page.goto('/admin/fields');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Deal fields' })).toBeVisible();
  await expect(page.locator('.custom-fields-admin').first()).toContainText('Credit score');
  await page.getByRole('button', { name: 'New field' }).click();
  let form = page.locator('form.custom-field-form');
  // A select without options is refused with a message.
  await form.getByLabel('Name').fill('Risk tier');
  await form.getByLabel('Type').selectOption({ label: 'Select' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('options');
  await form.getByLabel('Options').fill('Low\nHigh\n');
  await form.getByLabel('Pipeline').selectOption({ label: 'Loan conveyor' });
  await form.getByLabel('Group').fill('Risk');
  await form.getByLabel('Help text').fill('The risk desk sets it before scoring.');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toHaveCount(0);
  await page.getByRole('button', { name: 'New field' }).click();
  form = page.locator('form.custom-field-form');
  await form.getByLabel('Name').fill('Verification notes');
  await form.getByLabel('Group').fill('Risk');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toHaveCount(0);
  const deals = page.locator('.custom-fields-admin').first();
  await expect(deals.getByRole('row').filter({ hasText: 'Risk tier' })).toContainText('Loan conveyor');
  await expect(deals.getByRole('row').filter({ hasText: 'Verification notes' })).toContainText('All pipelines');
  // A document category of the firm's own, beside the built-in ones.
  const categories = page.locator('.document-categories');
  await categories.getByLabel('New category').fill('Pay slips');
  await categories.getByRole('button', { name: 'Add' }).click();
  await expect(categories.locator('.category-list')).toContainText('Pay slips');
  await screenshot(page, 'custom-fields-admin');

  // Scoring requires the risk tier before a deal enters it.
  await page.goto('/admin/pipelines');
  await hydrated(page);
  const editor = page.getByRole('form', { name: 'Stages' });
  const scoring = editor.locator('li.stage-row').filter({ has: page.getByRole('button', { name: 'Remove Scoring' }) });
  await scoring.getByLabel('Risk tier').check();
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');

  // A new deal cannot enter Scoring without it.
  await page.goto('/board');
  await hydrated(page);
  const card = await createDealOnBoard(page, title);
  await card.getByRole('button', { name: `Move ${title}` }).click();
  await card.getByLabel('Stage').selectOption({ label: 'Scoring' });
  await card.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Risk tier' })).toContainText(
    'Fill in the «Risk tier» before moving the deal to this stage.',
  );

  // The deal card: a wrong number is refused with the field's name; then the values are saved.
  await card.locator('h3 a').click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  const dealUrl = page.url();
  await hydrated(page);
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit' });
  await expect(edit.getByText('The risk desk sets it before scoring.')).toBeVisible();
  await edit.getByLabel('Risk tier').selectOption('High');
  await edit.getByLabel('Verification notes').fill(XSS);
  await edit.getByLabel('Credit score').fill('seven hundred');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit.getByRole('alert')).toHaveText('Enter a number in «Credit score».');
  await edit.getByLabel('Credit score').fill('710');
  await edit.getByRole('group', { name: 'Collateral' }).getByLabel('Flat').check();
  await edit.getByRole('group', { name: 'Collateral' }).getByLabel('Car').check();
  await edit.getByLabel('Documents checked').check();
  await edit.getByLabel('Credit report').fill('https://bki.example/report/42');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toHaveCount(0);

  await expect(
    page.getByRole('form', { name: 'Upload' }).getByLabel('Category').locator('option', { hasText: 'Pay slips' }),
  ).toHaveCount(1);
  const values = page.locator('.custom-values');
  await expect(values).toContainText('710');
  await expect(values).toContainText('Flat, Car');
  await expect(values.getByRole('link', { name: 'https://bki.example/report/42' })).toHaveAttribute('rel', /noopener/);
  await expect(values).toContainText(XSS);
  await expect(page.locator('.timeline')).toContainText('«Risk tier»: — → High');
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await screenshot(page, 'deal-card-custom-fields');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('.custom-values')).toContainText(XSS);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

  // Now the move goes through.
  await page.goto(`/board?q=${encodeURIComponent(title)}`);
  await hydrated(page);
  const found = page.getByRole('region', { name: 'Client manager' }).getByRole('listitem').filter({ hasText: title });
  await found.getByRole('button', { name: `Move ${title}` }).click();
  await found.getByLabel('Stage').selectOption({ label: 'Scoring' });
  await found.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Scoring' }).getByRole('listitem').filter({ hasText: title })).toBeVisible();

  // The board filters by the select field; the filter lives in the URL.
  await page.goto('/board');
  await hydrated(page);
  await page.locator('.filter-more summary').click();
  await page.locator('.filter-grid').getByLabel('Risk tier').selectOption('High');
  await expect(page).toHaveURL(/cf\.\d+=High/);
  await expect(page.locator('.deal-card')).toHaveCount(1);
  await expect(page.locator('.deal-card')).toContainText(title);
  await page.locator('.filter-grid').getByLabel(/Credit score.*from/).fill('800');
  await page.locator('.filter-grid').getByLabel(/Credit score.*from/).press('Enter');
  await expect(page).toHaveURL(/cf\.\d+\.min=800/);
  await expect(page.locator('.deal-card')).toHaveCount(0);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page).not.toHaveURL(/cf\./);

  // Removing the field takes it off the card (and the stage's requirement with it).
  await page.goto('/admin/fields');
  await hydrated(page);
  await page.getByRole('button', { name: 'Edit Risk tier' }).click();
  await page.locator('form.custom-field-form').getByRole('button', { name: 'Remove' }).click();
  await expect(page.locator('.custom-fields-admin').first().getByRole('row').filter({ hasText: 'Risk tier' })).toContainText('Removed');
  await page.goto(dealUrl);
  await hydrated(page);
  await expect(page.locator('.custom-values')).not.toContainText('Risk tier');
  await expect(page.locator('.timeline')).toContainText('«Risk tier»: — → High');
});
