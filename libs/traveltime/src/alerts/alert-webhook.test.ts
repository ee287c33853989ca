import { alertId, parseDetectorId, type AlertChange } from '@message-bus/domain';
import { createLogger, ServerMetrics } from '@message-bus/server-kit';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlertWebhook, webhookBody, webhookUrlProblem } from './alert-webhook';

const d = parseDetectorId('d');
const subject = { kind: 'detector', detectorId: d } as const;
const START = 1_765_000_000_123_456_789n;

function change(n: number, kind: AlertChange['change'] = 'raised'): AlertChange {
  const start = START + BigInt(n);
  return {
    change: kind,
    alert: {
      id: alertId('battery_low', subject, start),
      kind: 'battery_low',
      severity: 'warning',
      subject,
      start,
      updated: start,
      evidence: `reading ${n}`,
      figures: { volts: 11.9 },
    },
  };
}

/** A local webhook receiver: answers each request with the next of `statuses` (then 204), optionally late. */
interface Receiver {
  readonly url: string;
  readonly bodies: unknown[];
  readonly requests: { url: string | undefined; contentType: string | undefined }[];
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  servers = [];
});

async function receiver(statuses: readonly number[], delayFirstMs = 0): Promise<Receiver> {
  const bodies: unknown[] = [];
  const requests: Receiver['requests'] = [];
  let calls = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const call = calls++;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ url: request.url, contentType: request.headers['content-type'] });
      const status = statuses[call] ?? 204;
      if (status < 300) bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const answer = () => response.writeHead(status).end();
      if (call === 0 && delayFirstMs > 0) setTimeout(answer, delayFirstMs);
      else answer();
    });
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/alerts?token=s3cret`,
    bodies,
    requests,
  };
}

/** A logger that keeps its lines, to check what it says (and never says). */
function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'test',
    level: 'info',
    destination: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  return { logger, lines };
}

const FAST = { firstRetryDelayMs: 10, maxRetryDelayMs: 50, timeoutMs: 2000 };

describe('AlertWebhook', () => {
  it('retries a failing receiver with backoff and delivers every change once, in order', async () => {
    const hook = await receiver([500, 503, 429]);
    const metrics = new ServerMetrics({ processMetrics: false });
    const { logger, lines } = recordingLogger();
    const webhook = new AlertWebhook({ url: hook.url, ...FAST }, logger, metrics);

    webhook.send([change(1), change(2)]);
    webhook.send([change(3, 'cleared')]);
    await webhook.idle();

    expect(hook.bodies).toEqual([
      webhookBody(change(1)),
      webhookBody(change(2)),
      webhookBody(change(3, 'cleared')),
    ]);
    expect(hook.requests).toHaveLength(6);
    expect(hook.requests[0]).toEqual({ url: '/hooks/alerts?token=s3cret', contentType: 'application/json' });
    const scrape = await metrics.scrape();
    expect(scrape).toContain('message_bus_alert_webhook_deliveries_total{outcome="delivered"} 3');
    expect(lines.join('')).not.toContain('s3cret');
    await webhook.stop();
  });

  it('times an attempt out and tries again', async () => {
    const hook = await receiver([], 1000);
    const webhook = new AlertWebhook(
      { url: hook.url, ...FAST, timeoutMs: 200 },
      recordingLogger().logger,
      undefined,
    );
    webhook.send([change(1)]);
    await webhook.idle();
    // The first (late) answer came after the attempt was given up; the retry was delivered.
    expect(hook.bodies.length).toBeGreaterThanOrEqual(1);
    expect(hook.requests.length).toBeGreaterThanOrEqual(2);
    await webhook.stop();
  });

  it('gives up after its retries, or at once on a 4xx refusal, logging only the origin', async () => {
    const hook = await receiver([500, 500, 500, 400]);
    const metrics = new ServerMetrics({ processMetrics: false });
    const { logger, lines } = recordingLogger();
    const webhook = new AlertWebhook({ url: hook.url, ...FAST, retries: 2 }, logger, metrics);

    webhook.send([change(1), change(2), change(3)]);
    await webhook.idle();

    // change 1: 3 attempts, all 500; change 2: refused with 400; change 3: delivered.
    expect(hook.requests).toHaveLength(5);
    expect(hook.bodies).toEqual([webhookBody(change(3))]);
    const scrape = await metrics.scrape();
    expect(scrape).toContain('message_bus_alert_webhook_deliveries_total{outcome="failed"} 2');
    expect(scrape).toContain('message_bus_alert_webhook_deliveries_total{outcome="delivered"} 1');
    const log = lines.join('');
    expect(log).toContain(new URL(hook.url).origin);
    expect(log).toContain('the webhook answered 400');
    expect(log).not.toContain('s3cret');
    expect(log).not.toContain('/hooks/alerts');
    await webhook.stop();
  });

  it('never blocks: beyond its queue limit it drops the oldest', async () => {
    const hook = await receiver([], 300);
    const metrics = new ServerMetrics({ processMetrics: false });
    const webhook = new AlertWebhook(
      { url: hook.url, ...FAST, queueLimit: 2 },
      recordingLogger().logger,
      metrics,
    );

    // The first is taken at once (in flight); of the 4 queued behind it, the 2 oldest are dropped.
    webhook.send([change(1), change(2), change(3), change(4), change(5)]);
    await webhook.idle();
    expect(hook.bodies).toEqual([webhookBody(change(1)), webhookBody(change(4)), webhookBody(change(5))]);
    expect(await metrics.scrape()).toContain('message_bus_alert_webhook_deliveries_total{outcome="dropped"} 2');
    await webhook.stop();
  });

  it('on stop, aborts the delivery in flight and gives up the queued ones; it sends again after', async () => {
    const hook = await receiver([], 5000);
    const metrics = new ServerMetrics({ processMetrics: false });
    const webhook = new AlertWebhook({ url: hook.url, ...FAST }, recordingLogger().logger, metrics);
    webhook.send([change(1), change(2), change(3)]);
    // The receiver holds the first request (its answer comes 5 s later); stop meanwhile.
    await vi.waitFor(() => expect(hook.requests).toHaveLength(1), { timeout: 5000, interval: 10 });
    await webhook.stop();
    let scrape = await metrics.scrape();
    expect(scrape).toContain('message_bus_alert_webhook_deliveries_total{outcome="dropped"} 2');
    expect(scrape).toContain('message_bus_alert_webhook_deliveries_total{outcome="failed"} 1');

    webhook.send([change(4)]);
    await webhook.idle();
    expect(hook.requests).toHaveLength(2);
    expect(hook.bodies.at(-1)).toEqual(webhookBody(change(4)));
    scrape = await metrics.scrape();
    expect(scrape).toContain('message_bus_alert_webhook_deliveries_total{outcome="delivered"} 1');
  });

  it('refuses URLs that are not http(s), without quoting them', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x?token=1')).toBeUndefined();
    expect(webhookUrlProblem('hooks.example.com/x')).toBe('is not a URL');
    expect(webhookUrlProblem('ftp://user:pw@example.com/x')).toBe('must be an http or https URL, not ftp:');
  });
});
