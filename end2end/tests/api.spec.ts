import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ADMIN, hydrated, screenshot, signIn } from './helpers';

/** Calls the server with curl, as an integrator would; returns the status and the body. */
function curl(baseURL: string, token: string, method: string, path: string, body?: object, headers: string[] = []) {
  const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '-X', method, '-H', `Authorization: Bearer ${token}`];
  for (const header of headers) args.push('-H', header);
  if (body) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
  args.push(`${baseURL}${path}`);
  const out = execFileSync('curl', args, { encoding: 'utf8' });
  const at = out.lastIndexOf('\n');
  return { status: Number(out.slice(at + 1)), json: JSON.parse(out.slice(0, at) || 'null') };
}

test('a token made in the UI moves a deal through the API with curl, and stops working once revoked', async ({ page }) => {
  const baseURL = test.info().project.use.baseURL ?? 'http://127.0.0.1:3900';
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);

  // The account menu leads to the tokens page.
  await page.getByRole('button', { name: 'Account menu' }).or(page.getByLabel('Account menu')).first().click();
  await page.getByRole('link', { name: 'API tokens' }).click();
  await expect(page).toHaveURL(/\/settings\/api-tokens$/);
  await hydrated(page);

  // A blank name is refused with a message; nothing is made.
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('alert')).toContainText(/name/i);

  await page.getByLabel('Name', { exact: true }).fill('E2E sync');
  await page.getByLabel('Deals').selectOption('write');
  await page.getByLabel('Pipelines and stages').selectOption('read');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secretBox = page.getByTestId('token-secret');
  await expect(secretBox).toBeVisible();
  const secret = (await secretBox.textContent())?.trim() ?? '';
  expect(secret).toMatch(/^kvt_[A-Za-z0-9_-]{43}$/);
  const row = page.locator('.token-row').filter({ hasText: 'E2E sync' });
  await expect(row).toContainText('deals:write');
  await expect(row).toContainText('never used');
  await screenshot(page, 'api-tokens');

  // With curl: the pipelines, a new deal, a move with If-Match, a stale one refused.
  const pipelines = curl(baseURL, secret, 'GET', '/api/v1/pipelines');
  expect(pipelines.status).toBe(200);
  const loans = pipelines.json.data[0];
  const scoring = loans.stages.find((stage: { name: string }) => stage.name === 'Scoring');
  const created = curl(baseURL, secret, 'POST', '/api/v1/deals', {
    pipeline_id: loans.id,
    title: 'Deal from the API',
    client_name: 'API Client',
    client_phone: '+7 900 555-44-33',
    amount: { amount: '250000.00', currency: 'RUB' },
  }, ['Idempotency-Key: e2e-create-1']);
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = created.json.id;
  const moved = curl(baseURL, secret, 'POST', `/api/v1/deals/${id}/move`, { stage_id: scoring.id }, ['If-Match: "v1"']);
  expect(moved.status, JSON.stringify(moved.json)).toBe(200);
  expect(moved.json.stage_id).toBe(scoring.id);
  const stale = curl(baseURL, secret, 'POST', `/api/v1/deals/${id}/move`, { stage_id: scoring.id }, ['If-Match: "v1"']);
  expect(stale.status).toBe(412);
  expect(stale.json.code).toBe('record.precondition_failed');
  // The token may not read the event log: 403.
  expect(curl(baseURL, secret, 'GET', '/api/v1/events').status).toBe(403);

  // The deal page names the token in its history.
  await page.goto(`/deals/${id}`);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Deal from the API');
  await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('API: E2E sync');

  // Revoked in the UI: the next call is 401.
  await page.goto('/settings/api-tokens');
  await hydrated(page);
  await expect(row).toContainText('last used');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).toContainText('revoked');
  const refused = curl(baseURL, secret, 'GET', '/api/v1/pipelines');
  expect(refused.status).toBe(401);
  expect(refused.json.code).toBe('auth.unauthenticated');
});

test('the API reference is served by the server itself', async ({ page }) => {
  await page.goto('/api/v1/docs');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Konveyer CRM API');
  await expect(page.locator('#schema-ApiDeal')).toBeVisible();
  await expect(page.locator('.api-op').first()).toBeVisible();
  await screenshot(page, 'api-reference');
  const doc = await (await page.request.get('/api/v1/openapi.json')).json();
  expect(doc.openapi).toMatch(/^3\.1/);
});

test('a client generated from our OpenAPI document compiles and moves a deal', async () => {
  const baseURL = test.info().project.use.baseURL ?? 'http://127.0.0.1:3900';
  const work = mkdtempSync(join(tmpdir(), 'konveyer-client-'));
  cpSync(join(__dirname, '..', 'client'), work, { recursive: true });
  const bin = (name: string) => join(__dirname, '..', 'node_modules', '.bin', name);
  execFileSync(bin('openapi-typescript'), [`${baseURL}/api/v1/openapi.json`, '-o', join(work, 'schema.d.ts')]);
  // Strict type-checking against the generated types: a wrong field name or type fails here.
  execFileSync(bin('tsc'), ['-p', join(work, 'tsconfig.json'), '--outDir', join(work, 'out')]);
  // Made by the test command with `konveyer create-token` before the suite.
  const token = process.env.KONVEYER_E2E_API_TOKEN ?? '';
  expect(token, 'KONVEYER_E2E_API_TOKEN').toMatch(/^kvt_/);
  const out = execFileSync('node', [join(work, 'out', 'move-deal.js'), baseURL, token], { encoding: 'utf8' });
  const result = JSON.parse(out);
  expect(result.stage_id).toBe(result.expected);
});
