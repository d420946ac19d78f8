/**
 * A real HTTP server on 127.0.0.1 that speaks the Anthropic Messages API, for driving the real
 * `@anthropic-ai/sdk` client through `baseURL`. A fake only because the API cannot be reached
 * from here; everything from the SDK down to the socket is real.
 *
 *   const server = await startMessagesServer({ apiKey: 'sk-test' });
 *   server.script([turn.toolUse({ name: 'read_file', input: { path: 'a.txt' } }), turn.text('Done.')]);
 *   const client = new Anthropic({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0 });
 *   ...
 *   await server.close(); // rethrows failed `expect` guards and script mistakes
 *
 * Retries: the SDK retries 408, 409, 429, every 5xx, connection errors and timeouts (never
 * 400/401/403), `maxRetries: 2` by default, waiting `retry-after` when the server sends one and
 * 0.5 s, 1 s, ... otherwise. Tests that want to see each fault build the client with
 * `maxRetries: 0`. Every attempt consumes the next scripted turn, so a test of recovery scripts
 * the fault and then the answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type Anthropic from '@anthropic-ai/sdk';
import { buildMessage, IdSource, writeMessage, type WireFault } from './messages-server/reply.js';
import {
  isMessagesRequest,
  record,
  statusForErrorType,
  type MessagesRequest,
  type RecordedRequest,
  type ReplyTurn,
  type Turn,
} from './messages-server/turns.js';
import { countInputTokens, PromptCache } from './messages-server/usage.js';

export {
  statusForErrorType,
  turn,
  type FaultTurn,
  type FunctionTurn,
  type MessagesRequest,
  type RecordedRequest,
  type ReplyTurn,
  type ToolCall,
  type Turn,
} from './messages-server/turns.js';
export { countInputTokens, estimateTokens } from './messages-server/usage.js';

export interface MessagesServerOptions {
  /** When set, a request whose `x-api-key` or `authorization: Bearer` is not this key gets a 401. */
  apiKey?: string;
  /** Answers `POST /v1/messages` once the script is empty. Without it, an empty script is a failure. */
  onRequest?: (req: MessagesRequest) => Turn | Promise<Turn>;
  /** The first turns of the script. */
  turns?: Turn[];
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
}

export interface MessagesServer {
  /** Pass as `baseURL` to `new Anthropic(...)`. */
  readonly url: string;
  /** Every request received, on any path, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Scripted turns not yet consumed. */
  readonly pending: number;
  /** The `POST /v1/messages` requests whose body had a model and messages. */
  messageRequests(): MessagesRequest[];
  /** Replaces the script. */
  script(turns: Turn[]): void;
  /** Appends to the script. */
  enqueue(...turns: Turn[]): void;
  /** Returns and forgets the failures recorded so far (failed `expect`, empty script, script mistakes). */
  takeFailures(): Error[];
  /** Destroys open connections, stops listening, then throws any failure not taken. */
  close(): Promise<void>;
}

const defaultModels = ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-6'];

/** The SDK obeys this header before its own rules, so a test-side failure is answered once, not retried. */
const noRetry = { 'x-should-retry': 'false' };

/** The API's error body. `Anthropic.ErrorResponse` covers fewer error types than `ErrorType`. */
interface ApiErrorBody {
  type: 'error';
  error: { type: Anthropic.ErrorType; message: string };
  request_id: string;
}

function modelInfo(id: string): Anthropic.ModelInfo {
  return {
    type: 'model',
    id,
    display_name: id,
    created_at: '2025-01-01T00:00:00Z',
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: null,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    retires_at: null,
  };
}

function presentedKey(headers: Readonly<Record<string, string>>): string | undefined {
  const bearer = /^Bearer (.+)$/i.exec(headers['authorization'] ?? '');
  return headers['x-api-key'] ?? bearer?.[1];
}

/** Aborts when the response's connection closes, e.g. when the client times out and hangs up. */
function hangUpSignal(res: ServerResponse, closing: AbortSignal): AbortSignal {
  const hungUp = new AbortController();
  res.on('close', () => hungUp.abort());
  return AbortSignal.any([closing, hungUp.signal]);
}

export async function startMessagesServer(opts: MessagesServerOptions = {}): Promise<MessagesServer> {
  const queue: Turn[] = [...(opts.turns ?? [])];
  const requests: RecordedRequest[] = [];
  const failures: Error[] = [];
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  const ids = new IdSource();
  const cache = new PromptCache();

  type Headers = Record<string, string>;

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
    const json = JSON.stringify(body);
    const length = Buffer.byteLength(json);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': length, ...headers });
    res.end(json);
  }

  function sendError(
    res: ServerResponse,
    status: number,
    type: Anthropic.ErrorType,
    message: string,
    headers: Headers = {},
  ): void {
    // The API puts the same id in the body and in the `request-id` header; the SDK reads the header.
    const requestId = ids.request();
    const body: ApiErrorBody = { type: 'error', error: { type, message }, request_id: requestId };
    sendJson(res, status, body, { 'request-id': requestId, ...headers });
  }

  /** A mistake on the test's side: kept for `close()`, and answered with a 400 the SDK won't retry. */
  function fail(res: ServerResponse, error: Error): void {
    failures.push(error);
    if (res.headersSent) return void res.socket?.destroy();
    sendError(res, 400, 'invalid_request_error', `messages-server: ${error.message}`, noRetry);
  }

  async function reply(
    res: ServerResponse,
    req: MessagesRequest,
    r: ReplyTurn,
    hangUp: AbortSignal,
    fault?: WireFault,
  ): Promise<void> {
    const message = buildMessage(r, req, cache.account(req.body.model, req.body), ids);
    const stream = req.body.stream === true;
    await writeMessage(res, message, { stream, requestId: ids.request(), hangUp, fault });
  }

  async function play(res: ServerResponse, req: MessagesRequest, t: Turn, hangUp: AbortSignal): Promise<void> {
    try {
      t.expect?.(req);
    } catch (err) {
      return fail(res, err instanceof Error ? err : new Error(String(err)));
    }
    switch (t.kind) {
      case 'function':
        return play(res, req, await t.reply(req), hangUp);
      case 'slow':
        try {
          await sleep(t.delayMs, undefined, { signal: hangUp });
        } catch {
          return; // the client gave up or the server is closing: nobody waits for an answer
        }
        return play(res, req, t.then, hangUp);
      case 'error': {
        const after = t.retryAfterSeconds;
        const headers: Headers = after === undefined ? {} : { 'retry-after': String(after) };
        return sendError(res, t.status, t.errorType, t.message ?? t.errorType, headers);
      }
      case 'reset':
        // A TCP RST: the client sees ECONNRESET, as when a proxy drops the connection.
        return void res.socket?.resetAndDestroy();
      case 'stream_cut':
        return reply(res, req, t.reply, hangUp, { cutAfter: t.afterEvents });
      case 'stream_stall':
        return reply(res, req, t.reply, hangUp, { stallAfter: t.afterEvents });
      case 'stream_error': {
        const type = t.errorType ?? 'overloaded_error';
        // Without streaming the API reports an overload before it starts, as an HTTP error.
        if (req.body.stream !== true) return sendError(res, statusForErrorType(type), type, 'Overloaded');
        return reply(res, req, t.reply, hangUp, { errorAfter: { events: t.afterEvents, type } });
      }
      default:
        return reply(res, req, t, hangUp);
    }
  }

  async function handle(httpReq: IncomingMessage, res: ServerResponse): Promise<void> {
    const req = await record(httpReq);
    requests.push(req);
    if (opts.apiKey !== undefined && presentedKey(req.headers) !== opts.apiKey) {
      return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    const route = `${req.method} ${req.path}`;
    if (route === 'GET /v1/models') {
      const data = (opts.models ?? defaultModels).map(modelInfo);
      const page = { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
      return sendJson(res, 200, page, { 'request-id': ids.request() });
    }
    if (route !== 'POST /v1/messages' && route !== 'POST /v1/messages/count_tokens') {
      return sendError(res, 404, 'not_found_error', `Not found: ${route}`);
    }
    const body = req.body as { messages?: unknown; model?: unknown } | undefined;
    const missing = !Array.isArray(body?.messages) ? 'messages' : typeof body?.model !== 'string' ? 'model' : null;
    if (missing) return sendError(res, 400, 'invalid_request_error', `${missing}: Field required`);
    if (route === 'POST /v1/messages/count_tokens') {
      const count: Anthropic.MessageTokensCount = { input_tokens: countInputTokens(body) };
      return sendJson(res, 200, count, { 'request-id': ids.request() });
    }
    if (!isMessagesRequest(req)) throw new Error('unreachable: body was checked above');

    const next = queue.shift() ?? (await opts.onRequest?.(req));
    if (!next) return fail(res, new Error(`no scripted turn left for request #${requests.length} (${route})`));
    try {
      await play(res, req, next, hangUpSignal(res, closing.signal));
    } catch (err) {
      // A throwing function turn or a ScriptError: either way the script, not the client, is wrong.
      return fail(res, err instanceof Error ? err : new Error(String(err)));
    }
  }

  const server = createServer((httpReq, res) => {
    handle(httpReq, res).catch((err: unknown) => {
      failures.push(err instanceof Error ? err : new Error(String(err)));
      if (!res.headersSent) sendError(res, 500, 'api_error', 'messages-server crashed', noRetry);
      else res.socket?.destroy();
    });
  });
  // Tracked so close() can end keep-alive and hanging connections instead of waiting on them.
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get pending() {
      return queue.length;
    },
    messageRequests: () => requests.filter(isMessagesRequest),
    script: (turns) => void queue.splice(0, queue.length, ...turns),
    enqueue: (...turns) => void queue.push(...turns),
    takeFailures: () => failures.splice(0, failures.length),
    async close() {
      closing.abort();
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      const left = failures.splice(0, failures.length);
      if (left.length === 1) throw left[0];
      if (left.length > 1) throw new AggregateError(left, `messages-server: ${left.length} failures`);
    },
  };
}
