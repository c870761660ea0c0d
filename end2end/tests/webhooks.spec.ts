import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { ADMIN, createDealOnBoard, hydrated, screenshot, signIn } from './helpers';

interface Hit { id: string; type: string; signature: string }

/** A receiver on loopback (the test server allows 127.0.0.1) that keeps what it gets. */
async function receiver(): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const parsed = JSON.parse(body || '{}');
      hits.push({
        id: String(request.headers['webhook-id'] ?? ''),
        type: parsed.type,
        signature: String(request.headers['webhook-signature'] ?? ''),
      });
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hook`, hits };
}

test('an admin subscribes a webhook, tests it, moves a card and sees the delivery in the log', async ({ page }) => {
  const hook = await receiver();
  try {
    await signIn(page, ADMIN);
    await expect(page).toHaveURL(/\/board$/);
    await page.goto('/admin/webhooks');
    await hydrated(page);

    // A private address the server is not allowed to call is refused with a message.
    await page.getByLabel('URL').fill('http://10.1.2.3/hook');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect(page.getByRole('alert')).toContainText(/address/i);

    await page.getByLabel('URL').fill(hook.url);
    await page.getByLabel('Description').fill('E2E receiver');
    await page.getByRole('checkbox', { name: 'deal.created' }).check();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const secret = page.getByTestId('webhook-created-secret');
    await expect(secret).toHaveText(/^whsec_[A-Za-z0-9+/=]{32}$/);
    const row = page.getByTestId('webhook-row').filter({ hasText: hook.url });
    await expect(row).toContainText('active');

    await row.getByRole('button', { name: 'Send a test' }).click();
    await expect(row.getByTestId('webhook-test')).toContainText('Test: 200');
    expect(hook.hits.map((h) => h.type)).toEqual(['webhook.test']);
    expect(hook.hits[0].signature).toMatch(/^v1,[A-Za-z0-9+/=]{44}$/);
    await screenshot(page, 'webhooks');

    // A new deal moved on the board: both events reach the receiver, in order.
    await page.goto('/board');
    await hydrated(page);
    const title = `Webhook deal ${Date.now()}`;
    const card = await createDealOnBoard(page, title);
    await card.getByRole('button', { name: `Move ${title}` }).click();
    await card.getByLabel('Stage').selectOption({ label: 'Scoring' });
    await card.getByRole('button', { name: 'Move', exact: true }).click();
    await expect(page.getByRole('region', { name: 'Scoring' }).getByRole('listitem').filter({ hasText: title })).toBeVisible();
    await expect.poll(() => hook.hits.map((h) => h.type), { timeout: 15_000 })
      .toEqual(['webhook.test', 'deal.created', 'deal.moved']);

    // The delivery log shows both, delivered, with the attempt and the receiver's answer.
    await page.goto('/admin/webhooks');
    await hydrated(page);
    await page.getByTestId('webhook-row').filter({ hasText: hook.url }).getByRole('link', { name: 'Delivery log' }).click();
    await expect(page).toHaveURL(/\/admin\/webhooks\/\d+$/);
    await hydrated(page);
    const deliveries = page.getByTestId('delivery-row');
    await expect(deliveries).toHaveCount(2);
    await expect(deliveries.first()).toContainText('deal.moved');
    await expect(deliveries.first()).toContainText('delivered');
    await deliveries.first().getByText('Attempts', { exact: true }).click();
    await expect(deliveries.first()).toContainText('thanks');
    await screenshot(page, 'webhook-deliveries');

    // Resend: the same webhook-id again.
    const movedId = hook.hits[2].id;
    await deliveries.first().getByRole('button', { name: 'Resend' }).click();
    await expect.poll(() => hook.hits.length, { timeout: 15_000 }).toBe(4);
    expect(hook.hits[3].id).toBe(movedId);

    // Paused: the next event waits; the row says so.
    await page.goto('/admin/webhooks');
    await hydrated(page);
    const again = page.getByTestId('webhook-row').filter({ hasText: hook.url });
    await again.getByRole('button', { name: 'Pause' }).click();
    await expect(again).toContainText('paused');
    await again.getByRole('button', { name: 'Resume' }).click();
    await expect(again).toContainText('active');
  } finally {
    hook.server.close();
  }
});
