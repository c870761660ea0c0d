import { expect, test, type Page } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

/** The WebAssembly files the page fetches, by path, in order. */
function wasmRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) seen.push(path);
  });
  return seen;
}

test('the board needs only the first-page wasm; admin and analytics fetch their code when first opened', async ({ page }) => {
  const wasm = wasmRequests(page);
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  await hydrated(page);
  await expect(page.getByRole('region', { name: 'Client manager' })).toBeVisible();
  expect(wasm.length).toBeGreaterThan(0);
  expect(wasm.every((path) => path === '/pkg/konveyer_bg.wasm'), wasm.join(', ')).toBe(true);

  // Admin through the navigation, without a page load: its code arrives now, and works.
  const nav = page.getByRole('navigation', { name: 'Main navigation' }).first();
  await nav.getByRole('link', { name: 'Admin' }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByText('igor.sokolov@konveyer.demo')).toBeVisible();
  expect(wasm.some((path) => /\/pkg\/split_.*\.wasm$/.test(path)), wasm.join(', ')).toBe(true);
  await page.getByRole('button', { name: 'Edit Igor Sokolov' }).click();
  await expect(page.getByLabel('Active (can sign in)')).toBeChecked();

  // Analytics likewise: the funnel is drawn and its period buttons answer.
  const beforeAnalytics = wasm.length;
  await nav.getByRole('link', { name: 'Analytics' }).click();
  await expect(page).toHaveURL(/\/analytics$/);
  const funnel = page.getByRole('region', { name: 'Funnel' });
  await expect(funnel.getByRole('row', { name: /Client manager/ })).toBeVisible();
  expect(wasm.slice(beforeAnalytics).some((path) => /\/pkg\/split_.*\.wasm$/.test(path))).toBe(true);
  await page.getByRole('button', { name: '90 days' }).click();
  await expect(page.getByRole('button', { name: '90 days' })).toHaveAttribute('aria-pressed', 'true');

  // Back on the board nothing more is fetched.
  const beforeBoard = wasm.length;
  await nav.getByRole('link', { name: 'Board' }).click();
  await expect(page.getByRole('region', { name: 'Client manager' })).toBeVisible();
  expect(wasm.length).toBe(beforeBoard);
});

test('a lazy page opened directly renders on the server and hydrates', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/board$/);
  // Before any WebAssembly runs, the server's HTML already holds the page.
  await page.route('**/*.wasm', (route) => route.abort());
  await page.goto('/analytics/sla');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.unroute('**/*.wasm');
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
});
