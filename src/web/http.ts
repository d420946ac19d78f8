import type { IncomingMessage, ServerResponse } from 'node:http';
import { redact } from '../redact.js';

/** A request that cannot be served: the status and a message for the person or script. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** What every dashboard response carries: no framing, no sniffing, no token in a Referer. */
export const BASE_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The pages run only their own scripts and styles and talk only to this server. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * JSON out, through `redact` as a last guard: the history may hold text an agent or tool echoed,
 * and an API key must never reach a page. The replacement has no quotes, so the JSON stays valid.
 */
export function sendJson(res: ServerResponse, status: number, value: unknown, secrets: readonly string[] = []): void {
  let body = redact(JSON.stringify(value));
  // A key known only from credentials.env has no telling shape: masked by its value.
  for (const s of secrets) if (s.length >= 8) body = body.split(s).join('…redacted');
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

const MAX_BODY = 64 * 1024;

/** A small JSON body (the dashboard's POSTs carry a reason or a file name at most). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'the request body must be a JSON object');
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `"${key}" must be a string`);
  return v;
}
