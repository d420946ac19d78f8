/**
 * The Messages API test server, exercised through the real SDK: if the server drifts from what
 * the SDK expects, these fail before any agent test does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  countInputTokens,
  startMessagesServer,
  turn,
  type MessagesServer,
  type MessagesServerOptions,
  type Turn,
} from './messages-server.js';

const KEY = 'sk-ant-test-key-0123456789';
const MODEL = 'claude-sonnet-4-6';

const open: MessagesServer[] = [];
afterEach(async () => {
  // close() rethrows failures a test did not take, so a wrong request cannot pass unnoticed.
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function serve(turns: Turn[] = [], opts: MessagesServerOptions = {}): Promise<MessagesServer> {
  const server = await startMessagesServer({ apiKey: KEY, turns, ...opts });
  open.push(server);
  return server;
}

type ClientOptions = NonNullable<ConstructorParameters<typeof Anthropic>[0]>;

function client(server: MessagesServer, opts: ClientOptions = {}): Anthropic {
  return new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0, ...opts });
}

const ask = (text: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 1024,
  messages: [{ role: 'user', content: text }],
});

const tools: Anthropic.Tool[] = [
  {
    name: 'read_file',
    description: 'Read a file from the inbox',
    input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'classify',
    description: 'Classify a document',
    input_schema: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] },
  },
];

/** Awaits a rejection, checks its class, and returns it typed so its fields can be asserted. */
async function rejects<E>(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(errorClass);
    return err as E;
  }
  throw new Error(`expected a rejection with ${errorClass.name}, got a result`);
}

describe('replies', () => {
  it('answers a text turn as a Message with usage from the estimator', async () => {
    const server = await serve([turn.text('Hello from the inbox.')]);
    const params = ask('Summarise invoice.pdf');
    const message = await client(server).messages.create(params);

    expect(message.content).toEqual([{ type: 'text', text: 'Hello from the inbox.', citations: null }]);
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, stop_reason: 'end_turn' });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.input_tokens).toBe(countInputTokens(params));
    expect(message.usage.output_tokens).toBe(Math.ceil('Hello from the inbox.'.length / 4));
    expect(message.usage.cache_read_input_tokens).toBe(0);
    expect(server.pending).toBe(0);
  });

  it('echoes a max_tokens stop reason', async () => {
    const server = await serve([turn.text('Cut short', 'max_tokens')]);
    const message = await client(server).messages.create(ask('Write a novel'));
    expect(message.stop_reason).toBe('max_tokens');
  });

  it('answers a tool_use turn with leading text and several toolu_ blocks', async () => {
    const server = await serve([
      turn.toolUse(
        [
          { name: 'read_file', input: { path: 'inbox/a.txt' } },
          { name: 'read_file', input: { path: 'inbox/b.txt' }, id: 'toolu_fixed' },
        ],
        'Reading both files.',
      ),
    ]);
    const message = await client(server).messages.create({ ...ask('Compare a and b'), tools });

    expect(message.stop_reason).toBe('tool_use');
    const [lead, first, second] = message.content;
    expect(lead).toEqual({ type: 'text', text: 'Reading both files.', citations: null });
    expect(first).toMatchObject({ type: 'tool_use', name: 'read_file', input: { path: 'inbox/a.txt' } });
    expect(first?.type === 'tool_use' && first.id).toMatch(/^toolu_01/);
    expect(second).toMatchObject({ type: 'tool_use', id: 'toolu_fixed', input: { path: 'inbox/b.txt' } });
  });

  it('streams a tool_use turn whose input JSON reassembles exactly', async () => {
    const input = {
      path: 'inbox/Ünïcode “quotes”.txt',
      options: { lines: [1, 2, 3], strict: true, note: null },
    };
    const server = await serve([turn.toolUse({ name: 'read_file', input }, 'Let me look.')]);
    const stream = client(server).messages.stream({ ...ask('Read it'), tools });
    const seen: string[] = [];
    const jsonChunks: string[] = [];
    stream.on('streamEvent', (e) => {
      seen.push(e.type);
      if (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta') {
        jsonChunks.push(e.delta.partial_json);
      }
    });
    const message = await stream.finalMessage();

    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'read_file', input });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage.output_tokens).toBeGreaterThan(1);
    expect(jsonChunks.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    expect(jsonChunks.join('')).toBe(JSON.stringify(input));
    expect(seen[0]).toBe('message_start');
    expect(seen.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(seen.filter((t) => t === 'content_block_start')).toHaveLength(2);
  });

  it('streams text in several deltas', async () => {
    const text = 'The invoice totals 1,234.56 EUR and is due on 2025-03-01.';
    const server = await serve([turn.text(text)]);
    const deltas: string[] = [];
    const stream = client(server).messages.stream(ask('Total?')).on('text', (d) => deltas.push(d));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe(text);
    expect(message.content).toEqual([{ type: 'text', text, citations: null }]);
  });

  it('puts ping and the real event names on the wire', async () => {
    const server = await serve([turn.text('hi')]);
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask('hi'), stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const names = [...(await res.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta', // "hi" arrives as "h" + "i": text is split into at least three pieces when it can be
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('answers a forced tool choice with that tool', async () => {
    const server = await serve([turn.forcedTool({ label: 'invoice' })]);
    const message = await client(server).messages.create({
      ...ask('Classify'),
      tools,
      tool_choice: { type: 'tool', name: 'classify' },
    });
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'tool_use', name: 'classify', input: { label: 'invoice' } }),
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('treats a forced-tool turn without tool_choice as a script failure', async () => {
    const server = await serve([turn.forcedTool({ label: 'invoice' })]);
    await rejects(client(server).messages.create({ ...ask('Classify'), tools }), Anthropic.BadRequestError);
    expect(server.takeFailures().map((f) => f.message)).toEqual([expect.stringMatching(/tool_choice/)]);
  });

  it('computes a function turn from the request, and falls back to onRequest', async () => {
    const echo = turn.fn((req) => {
      const last = req.body.messages.at(-1);
      return turn.text(`echo: ${typeof last?.content === 'string' ? last.content : '?'}`);
    });
    const server = await serve([echo], { onRequest: () => turn.text('fallback') });
    const c = client(server);
    expect((await c.messages.create(ask('ping'))).content[0]).toMatchObject({ text: 'echo: ping' });
    expect((await c.messages.create(ask('again'))).content[0]).toMatchObject({ text: 'fallback' });
  });

  it('records a throwing function turn as a failure', async () => {
    const server = await serve([turn.fn(() => Promise.reject(new Error('bad script')))]);
    await rejects(client(server).messages.create(ask('hi')), Anthropic.BadRequestError);
    expect(server.takeFailures().map((f) => f.message)).toEqual(['bad script']);
  });

  it('fails the test when the script runs out', async () => {
    const server = await serve([]);
    await rejects(client(server, { maxRetries: 2 }).messages.create(ask('hi')), Anthropic.BadRequestError);
    expect(server.requests).toHaveLength(1); // x-should-retry: false kept the SDK from retrying
    expect(server.takeFailures()).toHaveLength(1);
  });
});

describe('expect guard', () => {
  const withDocument: Anthropic.MessageCreateParamsNonStreaming = {
    ...ask('x'),
    messages: [
      {
        role: 'user',
        content: [
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'invoice 42' } },
          { type: 'text', text: 'Summarise this.' },
        ],
      },
    ],
  };
  const firstIsDocument = (req: { body: Anthropic.MessageCreateParams }): void => {
    const content = req.body.messages[0]?.content;
    if (!Array.isArray(content) || content[0]?.type !== 'document') {
      throw new Error('first block is not a document');
    }
  };

  it('lets a matching request through', async () => {
    const server = await serve([{ ...turn.text('Summary.'), expect: firstIsDocument }]);
    const message = await client(server).messages.create(withDocument);
    expect(message.content[0]).toMatchObject({ text: 'Summary.' });
  });

  it('answers 400 and records the failure when the request does not match', async () => {
    const server = await serve([{ ...turn.text('Summary.'), expect: firstIsDocument }]);
    const err = await rejects(client(server).messages.create(ask('no document here')), Anthropic.BadRequestError);
    expect(err.message).toMatch(/first block is not a document/);
    expect(server.takeFailures()).toHaveLength(1);
  });

  it('makes close() throw a failure nobody took', async () => {
    const server = await startMessagesServer({ turns: [{ ...turn.text('x'), expect: firstIsDocument }] });
    await rejects(client(server).messages.create(ask('no document here')), Anthropic.BadRequestError);
    await expect(server.close()).rejects.toThrow(/first block is not a document/);
  });
});

describe('other endpoints', () => {
  it('counts tokens with the same estimator as usage', async () => {
    const server = await serve([turn.text('ok')]);
    const c = client(server);
    const params = { ...ask('How many tokens is this?'), system: 'You file documents.', tools };
    const { max_tokens: _unused, ...countParams } = params;
    const counted = await c.messages.countTokens(countParams);
    const bigger = await c.messages.countTokens({ ...countParams, system: 'You file documents. '.repeat(20) });
    const { usage } = await c.messages.create(params);

    expect(counted.input_tokens).toBe(countInputTokens(countParams));
    expect(bigger.input_tokens).toBeGreaterThan(counted.input_tokens);
    expect(usage.input_tokens).toBe(counted.input_tokens);
  });

  it('lists models and answers unknown paths with the API error shape', async () => {
    const server = await serve([], { models: ['claude-haiku-4-5'] });
    const c = client(server);
    const page = await c.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['claude-haiku-4-5']);

    const err = await rejects(c.get('/v1/nope'), Anthropic.NotFoundError);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('faults', () => {
  it('surfaces 429 as RateLimitError with retry-after when retries are off', async () => {
    const server = await serve([turn.rateLimited(1)]);
    const err = await rejects(client(server).messages.create(ask('hi')), Anthropic.RateLimitError);
    expect(err.headers.get('retry-after')).toBe('1');
    expect(err.type).toBe('rate_limit_error');
  });

  it('retries a 429 after retry-after when maxRetries allows it', async () => {
    const server = await serve([turn.rateLimited(1), turn.text('after the wait')]);
    const message = await client(server, { maxRetries: 1 }).messages.create(ask('hi'));
    expect(message.content[0]).toMatchObject({ text: 'after the wait' });
    const [first, second] = server.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
    const retryCounts = [first, second].map((r) => r?.headers['x-stainless-retry-count']);
    expect(retryCounts).toEqual(['0', '1']);
  });

  it('retries 5xx by default (maxRetries 2) and succeeds on the third attempt', async () => {
    const quick500: Turn = { kind: 'error', status: 500, errorType: 'api_error', retryAfterSeconds: 0.05 };
    const server = await serve([quick500, quick500, turn.text('third time')]);
    const message = await new Anthropic({ baseURL: server.url, apiKey: KEY }).messages.create(ask('hi'));
    expect(message.content[0]).toMatchObject({ text: 'third time' });
    expect(server.requests).toHaveLength(3);
  });

  it.each([
    ['529 overloaded', turn.overloaded(), Anthropic.OverloadedError, 529, 'overloaded_error'],
    ['500 api_error', turn.serverError(), Anthropic.InternalServerError, 500, 'api_error'],
    ['401 authentication', turn.unauthorized(), Anthropic.AuthenticationError, 401, 'authentication_error'],
    ['403 permission', turn.forbidden(), Anthropic.PermissionDeniedError, 403, 'permission_error'],
    ['400 invalid request', turn.badRequest('bad'), Anthropic.BadRequestError, 400, 'invalid_request_error'],
  ] as const)('surfaces %s as the matching APIError', async (_name, fault, errorClass, status, type) => {
    const server = await serve([fault]);
    const err = await rejects(client(server).messages.create(ask('hi')), errorClass);
    expect(err).toMatchObject({ status, type });
  });

  it('does not retry 4xx even with retries on', async () => {
    const server = await serve([turn.badRequest(), turn.text('never sent')]);
    await rejects(client(server, { maxRetries: 2 }).messages.create(ask('hi')), Anthropic.BadRequestError);
    expect(server.requests).toHaveLength(1);
    server.script([]);
  });

  it('rejects a wrong API key with 401 without consuming a turn', async () => {
    const server = await serve([turn.text('for the right key')]);
    const wrongKey = new Anthropic({ baseURL: server.url, apiKey: 'sk-wrong', maxRetries: 0 });
    await rejects(wrongKey.messages.create(ask('hi')), Anthropic.AuthenticationError);
    expect(server.pending).toBe(1);
    await client(server).messages.create(ask('hi'));
  });

  it('surfaces a connection reset as APIConnectionError, and retries past it', async () => {
    const server = await serve([turn.reset(), turn.reset(), turn.text('reconnected')]);
    const err = await rejects(client(server).messages.create(ask('hi')), Anthropic.APIConnectionError);
    expect(err).not.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);

    const message = await client(server, { maxRetries: 1 }).messages.create(ask('hi'));
    expect(message.content[0]).toMatchObject({ text: 'reconnected' });
    expect(server.requests).toHaveLength(3);
  });

  it('cuts a stream after N events and the stream rejects', async () => {
    const server = await serve([turn.streamCut(4, turn.text('This sentence never finishes arriving.'))]);
    const stream = client(server).messages.stream(ask('hi'));
    const seen: string[] = [];
    stream.on('streamEvent', (e) => seen.push(e.type));
    const err = await rejects(stream.finalMessage(), Anthropic.AnthropicError);
    expect(err).not.toBeInstanceOf(Anthropic.APIError);
    expect(err.message).toBe('terminated'); // undici's TypeError, wrapped; the original is err.cause
    // message_start, content_block_start, ping (filtered by the SDK), one delta: then the cut.
    expect(seen).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
  });

  it('cuts a non-streaming body halfway: the SDK lets undici\'s TypeError through unwrapped', async () => {
    const server = await serve([turn.streamCut(0, turn.text('a reply that arrives only in part'))]);
    const err = await rejects(client(server, { maxRetries: 2 }).messages.create(ask('hi')), TypeError);
    expect(err).not.toBeInstanceOf(Anthropic.AnthropicError);
    expect(server.requests).toHaveLength(1); // the body failed after the headers: nothing retries it
  });

  it('stalls a stream after N events until the client gives up', async () => {
    const server = await serve([turn.streamStall(3, turn.text('and then silence'))]);
    // The SDK's `timeout` stops at the response headers, so only the caller's signal ends a stall.
    // Headers come back well within the SDK's 1 s even on a loaded machine; the stall then
    // outlasts it, and only the 1.5 s signal ends it.
    const signal = AbortSignal.timeout(1500);
    const stream = client(server, { timeout: 1000 }).messages.stream(ask('hi'), { signal });
    const seen: string[] = [];
    stream.on('streamEvent', (e) => seen.push(e.type));
    const started = Date.now();
    await rejects(stream.finalMessage(), Anthropic.APIUserAbortError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(seen).toEqual(['message_start', 'content_block_start']);
  });

  it('sends an SSE error event mid-stream', async () => {
    const server = await serve([turn.streamError(3, turn.text('Half an answer and then'))]);
    const err = await rejects(client(server).messages.stream(ask('hi')).finalMessage(), Anthropic.APIError);
    expect(err).toMatchObject({ status: undefined, type: 'overloaded_error' });
  });

  it('times out a slow reply with APIConnectionTimeoutError, and abandons the reply', async () => {
    let answered = false;
    const late = turn.fn(() => {
      answered = true;
      return turn.text('too late');
    });
    const server = await serve([turn.slow(400, late)]);
    const started = Date.now();
    const impatient = client(server, { timeout: 100 });
    await rejects(impatient.messages.create(ask('hi')), Anthropic.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
    await sleep(500);
    expect(answered).toBe(false); // the hang-up cancelled the wait
  });

  it('answers a slow reply once the delay has passed', async () => {
    const server = await serve([turn.slow(150, turn.text('worth the wait'))]);
    const started = Date.now();
    const message = await client(server).messages.create(ask('hi'));
    expect(message.content[0]).toMatchObject({ text: 'worth the wait' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('closes promptly while a slow reply is pending', async () => {
    const server = await startMessagesServer({ turns: [turn.slow(60_000, turn.text('never'))] });
    const pending = rejects(client(server).messages.create(ask('hi')), Anthropic.APIConnectionError);
    while (server.requests.length === 0) await sleep(5);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(500);
    await pending;
  });
});

describe('prompt caching', () => {
  const cached = (messages: Anthropic.MessageParam[]): Anthropic.MessageCreateParamsNonStreaming => ({
    model: MODEL,
    max_tokens: 1024,
    system: [{ type: 'text', text: 'You file documents. '.repeat(50), cache_control: { type: 'ephemeral' } }],
    tools,
    messages,
  });

  it('writes the cache on the first request and reads it on an identical one', async () => {
    const server = await serve([turn.text('one'), turn.text('two')]);
    const c = client(server);
    const params = cached([{ role: 'user', content: 'File this.' }]);
    const first = (await c.messages.create(params)).usage;
    const second = (await c.messages.create(params)).usage;

    expect(first.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(first.cache_read_input_tokens).toBe(0);
    expect(second.cache_creation_input_tokens).toBe(0);
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.input_tokens).toBe(first.input_tokens);
    const total = (u: Anthropic.Usage): number =>
      u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
    expect(total(first)).toBe(countInputTokens(params));
    expect(total(second)).toBe(total(first));
  });

  it('reads the earlier prefix when a conversation moves its marker forward', async () => {
    const server = await serve([turn.text('one'), turn.text('two')]);
    const c = client(server);
    const marked = (text: string): Anthropic.MessageParam => ({
      role: 'user',
      content: [{ type: 'text', text, cache_control: { type: 'ephemeral' } }],
    });
    const first = (await c.messages.create(cached([marked('First question.')]))).usage;
    const second = (
      await c.messages.create(
        cached([
          { role: 'user', content: [{ type: 'text', text: 'First question.' }] },
          { role: 'assistant', content: 'one' },
          marked('Second question.'),
        ]),
      )
    ).usage;

    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.cache_creation_input_tokens).toBeGreaterThan(0);
  });

  it('reports no cache tokens when nothing is marked', async () => {
    const server = await serve([turn.text('one'), turn.text('two')]);
    const c = client(server);
    await c.messages.create(ask('same'));
    const { usage } = await c.messages.create(ask('same'));
    expect(usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });
});

describe('recorded requests', () => {
  it('keeps method, path, lower-cased headers and the parsed body', async () => {
    const server = await serve([turn.text('ok')]);
    const params = ask('Secret-free body');
    await client(server).messages.create(params);

    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/messages', body: params });
    // SDK 1.12 sends the API key as a bearer token, not x-api-key.
    expect(req?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(req?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-stainless-retry-count']).toBe('0');
    // The key appears in the auth header and nowhere else.
    const elsewhere = Object.entries(req?.headers ?? {}).filter(
      ([name, value]) => name !== 'authorization' && value.includes(KEY),
    );
    expect(elsewhere).toEqual([]);
    expect(req?.rawBody).not.toContain(KEY);
    expect(server.messageRequests()).toHaveLength(1);
  });

  it('accepts the key as x-api-key too', async () => {
    const server = await serve([turn.text('ok')]);
    const c = client(server, { apiKey: null, defaultHeaders: { 'x-api-key': KEY } });
    await c.messages.create(ask('hi'));
    expect(server.requests[0]?.headers['x-api-key']).toBe(KEY);
  });
});

