import { test, expect } from '@playwright/test';
import path from 'node:path';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', name);

test('a PDF and an image are uploaded together, previewed, and the PDF gets a second version', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await page.locator('.deal-card:has(.local-time) h3 a').first().click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await hydrated(page);

  const section = page.getByRole('region', { name: 'Documents' });
  const form = section.getByRole('form', { name: 'Upload' });
  await form.getByLabel('Category').selectOption('passport');
  await form.getByLabel('Files').setInputFiles([fixture('statement.pdf'), fixture('passport.png')]);
  await form.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(page).toHaveURL(/\/deals\/\d+#documents$/);
  await hydrated(page);

  const pdf = section.locator('.document').filter({ hasText: 'statement.pdf' });
  const png = section.locator('.document').filter({ hasText: 'passport.png' });
  await expect(pdf.locator('iframe.preview.pdf')).toHaveAttribute('src', /\/files\/\d+\?inline=1$/);
  const image = png.locator('.preview img');
  await expect(image).toBeVisible();
  // The image really loads (served inline, same origin).
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  // A second version of the PDF; both stay downloadable.
  await pdf.getByText(/All versions/).click();
  await pdf.getByLabel('Upload a new version').setInputFiles(fixture('statement.pdf'));
  await pdf.getByRole('button', { name: 'Upload', exact: true }).click();
  await hydrated(page);
  const again = section.locator('.document').filter({ hasText: 'statement.pdf' });
  await again.getByText('All versions (2)').click();
  await expect(again.locator('.version-list li')).toHaveCount(2);
  const download = page.waitForEvent('download');
  await again.locator('.version-list a').last().click();
  expect((await download).suggestedFilename()).toBe('statement.pdf');
  await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('Uploaded statement.pdf (v2)');
  await screenshot(page, 'deal-documents');
});
