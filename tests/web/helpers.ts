/**
 * The dashboard against a real home: a real Store (SQLite file), real rules, real events and a
 * real HTTP server on 127.0.0.1, spoken to with node:http so every header is the test's choice.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Events } from '../../src/events.js';
import { defaults } from '../../src/config.js';
import { Dashboard } from '../../src/web/server.js';
import { uiToken } from '../../src/web/token.js';
import { makeHome, type TestHome } from '../approve/helpers.js';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export function request(port: number, method: string, pathAndQuery: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathAndQuery, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: <T>() => JSON.parse(text) as T });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface WebHome extends TestHome {
  dashboard: Dashboard;
  events: Events;
  port: number;
  token: string;
  /** Headers of a logged-in page of the dashboard making a change. */
  page: Record<string, string>;
  bearer: Record<string, string>;
  stop(): Promise<void>;
}

export async function startDashboard(rulesYaml: string, budget = defaults.daily_budget_usd): Promise<WebHome> {
  const home = makeHome(rulesYaml);
  const events = new Events();
  const token = uiToken(home.paths);
  const dashboard = new Dashboard({
    store: home.store, paths: home.paths, log: createLogger({}), events,
    config: () => ({ ...defaults, daily_budget_usd: budget }), ruleSet: () => home.rules,
  }, token);
  const port = await dashboard.listen('127.0.0.1', 0);
  const cookie = `dropwork_${port}=${token}`;
  return {
    ...home, dashboard, events, port, token,
    page: { Cookie: cookie, Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json', 'X-Dropwork': '1' },
    bearer: { Authorization: `Bearer ${token}` },
    stop: async () => { await dashboard.close(); home.close(); },
  };
}

/**
 * A fresh dashboard (on a fresh home) for each test of the file, stopped after it: call at the
 * top of the file, then `const web = await openDashboard()` inside a test.
 */
export function dashboardPerTest(rulesYaml: string): (budget?: number) => Promise<WebHome> {
  let web: WebHome | undefined;
  afterEach(async () => {
    await web?.stop();
    web = undefined;
  });
  return async (budget) => (web = await startDashboard(rulesYaml, budget));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
