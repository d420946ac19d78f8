/**
 * The request a turn answers, and what a scripted Messages API turn can be. A turn is plain
 * data, consumed by one `POST /v1/messages`; the `turn` helpers below only save typing.
 */
import type { IncomingMessage } from 'node:http';
import type Anthropic from '@anthropic-ai/sdk';

/** One request as the server received it, kept for assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  readonly path: string;
  /** Path and query exactly as sent. */
  readonly url: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body; `undefined` when the body was empty or not JSON. */
  readonly body: unknown;
  /** The body as received, so a test can check a secret never appears in it. */
  readonly rawBody: string;
  /** `Date.now()` on arrival, to measure the gap a client left between retries. */
  readonly receivedAt: number;
}

/** A `POST /v1/messages` whose body passed the server's minimal shape check. */
export interface MessagesRequest extends RecordedRequest {
  readonly body: Anthropic.MessageCreateParams;
}

/** Checks only what the server itself reads; the real API validates far more. */
export function isMessagesRequest(req: RecordedRequest): req is MessagesRequest {
  const body = req.body as { model?: unknown; messages?: unknown } | undefined;
  return (
    req.method === 'POST' &&
    req.path === '/v1/messages' &&
    typeof body?.model === 'string' &&
    Array.isArray(body.messages)
  );
}

/** Reads the whole body before any turn plays, so a `reset` never races the client's upload. */
export async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = rawBody ? JSON.parse(rawBody) : undefined;
  } catch {
    body = undefined;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const url = req.url ?? '/';
  const path = url.split('?')[0] ?? url;
  return { method: req.method ?? 'GET', path, url, headers, body, rawBody, receivedAt: Date.now() };
}

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  /** Defaults to a fresh `toolu_...` id. */
  id?: string;
}

/** Turns that produce an assistant message. */
export type ReplyTurn =
  | { kind: 'text'; text: string; stopReason?: 'end_turn' | 'max_tokens' }
  | { kind: 'tool_use'; calls: ToolCall[]; text?: string }
  /** Answers `tool_choice: {type: 'tool', name}` with that tool and this input. */
  | { kind: 'forced_tool'; input: Record<string, unknown> };

export type FaultTurn =
  /** An HTTP error with the API's error body. `retryAfterSeconds` sets `retry-after`. */
  | {
      kind: 'error';
      status: number;
      errorType: Anthropic.ErrorType;
      message?: string;
      /** Sent as `retry-after`; the SDK accepts fractions, which keeps retry tests fast. */
      retryAfterSeconds?: number;
    }
  /** The socket is reset after the request is read, before any response byte. */
  | { kind: 'reset' }
  /**
   * The SSE stream of `reply` is cut (socket destroyed) after `afterEvents` events, counting
   * `ping`. On a non-streaming request, half the JSON body is sent and then the socket is cut.
   */
  | { kind: 'stream_cut'; afterEvents: number; reply: ReplyTurn }
  /**
   * After `afterEvents` events of `reply`, an `event: error` with `errorType` ends the stream,
   * as the API does when it overloads mid-response. A non-streaming request gets the
   * matching HTTP error instead, which is what the API sends before it has started a reply.
   */
  | { kind: 'stream_error'; afterEvents: number; reply: ReplyTurn; errorType?: Anthropic.ErrorType }
  /**
   * Streams `afterEvents` events of `reply`, then sends nothing more and keeps the connection
   * open until the client hangs up or the server closes. The SDK's `timeout` does not cover a
   * stream once its headers have arrived, so this is how a test meets a stalled stream.
   */
  | { kind: 'stream_stall'; afterEvents: number; reply: ReplyTurn }
  /** Waits `delayMs` before answering with `then`; abandoned when the client hangs up. */
  | { kind: 'slow'; delayMs: number; then: Turn };

/** A turn computed from the request, for replies that depend on what the client sent. */
export interface FunctionTurn {
  kind: 'function';
  reply: (req: MessagesRequest) => Turn | Promise<Turn>;
}

/**
 * `expect` runs against the request before the turn answers. If it throws, the client gets a
 * 400 and the error is kept (see `server.takeFailures()`); `server.close()` rethrows it, so a client
 * that swallows the 400 cannot hide a wrong request.
 */
export type Turn = (ReplyTurn | FaultTurn | FunctionTurn) & {
  expect?: (req: MessagesRequest) => void;
};

const statusOf: Partial<Record<Anthropic.ErrorType, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  timeout_error: 504,
  api_error: 500,
  overloaded_error: 529,
};

/** The HTTP status the API pairs with an error type. */
export function statusForErrorType(type: Anthropic.ErrorType): number {
  return statusOf[type] ?? 500;
}

/** Shorthands for the turns tests write most. */
export const turn = {
  text: (text: string, stopReason?: 'end_turn' | 'max_tokens'): ReplyTurn =>
    stopReason ? { kind: 'text', text, stopReason } : { kind: 'text', text },
  toolUse: (calls: ToolCall | ToolCall[], text?: string): ReplyTurn => ({
    kind: 'tool_use',
    calls: Array.isArray(calls) ? calls : [calls],
    ...(text === undefined ? {} : { text }),
  }),
  forcedTool: (input: Record<string, unknown>): ReplyTurn => ({ kind: 'forced_tool', input }),
  fn: (reply: FunctionTurn['reply']): Turn => ({ kind: 'function', reply }),
  error: (errorType: Anthropic.ErrorType, message?: string, status = statusForErrorType(errorType)): Turn => ({
    kind: 'error',
    status,
    errorType,
    ...(message === undefined ? {} : { message }),
  }),
  rateLimited: (retryAfterSeconds = 1): Turn => ({
    kind: 'error',
    status: 429,
    errorType: 'rate_limit_error',
    retryAfterSeconds,
  }),
  overloaded: (): Turn => turn.error('overloaded_error', 'Overloaded'),
  serverError: (): Turn => turn.error('api_error', 'Internal server error'),
  unauthorized: (): Turn => turn.error('authentication_error', 'invalid x-api-key'),
  forbidden: (): Turn =>
    turn.error('permission_error', 'Your API key does not have permission to use the specified resource.'),
  badRequest: (message = 'invalid request'): Turn => turn.error('invalid_request_error', message),
  reset: (): Turn => ({ kind: 'reset' }),
  streamCut: (afterEvents: number, reply: ReplyTurn): Turn => ({ kind: 'stream_cut', afterEvents, reply }),
  streamError: (afterEvents: number, reply: ReplyTurn, errorType?: Anthropic.ErrorType): Turn => ({
    kind: 'stream_error',
    afterEvents,
    reply,
    ...(errorType === undefined ? {} : { errorType }),
  }),
  streamStall: (afterEvents: number, reply: ReplyTurn): Turn => ({ kind: 'stream_stall', afterEvents, reply }),
  slow: (delayMs: number, then: Turn): Turn => ({ kind: 'slow', delayMs, then }),
};
