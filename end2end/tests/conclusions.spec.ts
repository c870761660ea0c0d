import { test, expect } from '@playwright/test';
import { hydrated, screenshot, signIn } from './helpers';

const SCORER = 'igor.sokolov@konveyer.demo';

test('a scorer adds a conclusion, corrects it, and the card shows the latest per department', async ({ page }) => {
  await signIn(page, SCORER);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  // A deal waiting in Scoring, the scorer's department.
  const scoring = page.getByRole('region', { name: 'Scoring' });
  await scoring.getByRole('listitem').first().getByRole('link').first().click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await hydrated(page);

  const section = page.getByRole('region', { name: 'Conclusions' });
  const form = section.getByRole('form', { name: 'Add a conclusion' });
  // A blank conclusion is refused with a message and nothing is added.
  await form.getByRole('button', { name: 'Add' }).click();
  await expect(form.getByRole('alert')).toContainText('conclusion');
  await expect(section.locator('.conclusion-latest .conclusion')).toHaveCount(0);

  await form.getByLabel('Verdict').selectOption('needs_rework');
  await form.getByLabel('Conclusion').fill('Income statement <script>alert(1)</script> missing');
  await form.getByRole('button', { name: 'Add' }).click();
  const latest = section.locator('.conclusion-latest .conclusion');
  await expect(latest).toHaveCount(1);
  await expect(latest.first()).toContainText('Scoring');
  await expect(latest.first()).toContainText('Needs rework');
  // User text is shown as text, never run.
  await expect(latest.first()).toContainText('<script>alert(1)</script>');

  // A correction replaces it on top; both stay in the full list.
  await latest.first().getByRole('button', { name: 'Correct' }).click();
  await expect(section).toContainText('Correcting the conclusion of');
  await form.getByLabel('Verdict').selectOption('approve');
  await form.getByLabel('Conclusion').fill('Statement received, approve');
  await form.getByRole('button', { name: 'Add' }).click();
  await expect(latest).toHaveCount(1);
  await expect(latest.first()).toContainText('Approve');
  await expect(latest.first()).toContainText('corrects an earlier conclusion');
  // Both stay in the deal's timeline.
  const timeline = page.getByRole('region', { name: 'Timeline' });
  await timeline.getByRole('button', { name: /^Conclusions/ }).click();
  await expect(timeline.locator('.timeline-list li')).toHaveCount(2);

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('region', { name: 'Conclusions' }).locator('.conclusion-latest .conclusion')).toContainText('Statement received, approve');
  await screenshot(page, 'deal-conclusions');
});
