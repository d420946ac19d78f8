/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API (as Ollama,
 * llama.cpp, vLLM, LM Studio and OpenRouter do), for driving the real `openai` client through
 * `baseURL`, beside messages-server.ts. A fake only because no model server can run here.
 *
 *   const server = await startChatServer();
 *   server.script([chat.calls([{ name: 'write_file', args: { path: 'output/a.txt', content: 'x' } }]), chat.text('Done.')]);
 *   // config.yaml: providers: {local: {api: openai, base_url: server.url, model: 'qwen3:8b'}}
 *
 * Streaming as the servers do it: the role first, text in pieces, each tool call's id and name
 * in one chunk and its arguments in at least three more, finish_reason in the last choice
 * chunk, and usage in a chunk of its own with no choices (when the client asks with
 * `stream_options.include_usage`). Not streaming: one chat.completion object.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ChatRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    max_tokens?: number;
    messages: { role: string; content: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
    tools?: { type: string; function: { name: string; description?: string; parameters: unknown } }[];
    tool_choice?: unknown;
  };
  raw: string;
}

export interface ChatCall {
  name: string;
  /** An object (sent as its JSON) or the exact argument text, which need not parse. */
  args: Record<string, unknown> | string;
  id?: string;
}

export type ChatTurn =
  | { kind: 'reply'; text?: string; calls?: ChatCall[]; reasoning?: string; finish?: 'stop' | 'tool_calls' | 'length'; noUsage?: boolean }
  | { kind: 'error'; status: number; message: string; retryAfter?: number }
  | { kind: 'fn'; reply: (req: ChatRequest) => ChatTurn | Promise<ChatTurn> };

export const chat = {
  text: (text: string, finish: 'stop' | 'length' = 'stop'): ChatTurn => ({ kind: 'reply', text, finish }),
  calls: (calls: ChatCall[], text?: string): ChatTurn => ({ kind: 'reply', calls, ...(text ? { text } : {}), finish: 'tool_calls' }),
  call: (name: string, args: ChatCall['args']): ChatTurn => chat.calls([{ name, args }]),
  reasoning: (reasoning: string, then: ChatTurn & { kind: 'reply' }): ChatTurn => ({ ...then, reasoning }),
  error: (status: number, message: string, retryAfter?: number): ChatTurn => ({ kind: 'error', status, message, ...(retryAfter === undefined ? {} : { retryAfter }) }),
  fn: (reply: (req: ChatRequest) => ChatTurn | Promise<ChatTurn>): ChatTurn => ({ kind: 'fn', reply }),
};

export interface ChatServer {
  /** Pass as `base_url` (it ends in /v1, as Ollama's does). */
  readonly url: string;
  readonly requests: ChatRequest[];
  readonly pending: number;
  script(turns: ChatTurn[]): void;
  enqueue(...turns: ChatTurn[]): void;
  close(): Promise<void>;
}

/** ~4 characters a token, like messages-server's estimator. */
const tokens = (s: string): number => Math.max(1, Math.ceil(s.length / 4));

/** At least three pieces of a string, so a client must reassemble. */
function pieces(s: string): string[] {
  const size = Math.max(1, Math.ceil(s.length / 3));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [''];
}

export async function startChatServer(opts: { apiKey?: string; turns?: ChatTurn[]; onRequest?: (req: ChatRequest) => ChatTurn | Promise<ChatTurn> } = {}): Promise<ChatServer> {
  const queue: ChatTurn[] = [...(opts.turns ?? [])];
  const requests: ChatRequest[] = [];
  const failures: Error[] = [];
  const sockets = new Set<Socket>();
  let ids = 0;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void =>
    json(res, status, { error: { message, type: status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error', code: null } }, headers);

  async function play(res: ServerResponse, req: ChatRequest, t: ChatTurn): Promise<void> {
    if (t.kind === 'fn') return play(res, req, await t.reply(req));
    if (t.kind === 'error') return error(res, t.status, t.message, t.retryAfter === undefined ? {} : { 'retry-after': String(t.retryAfter) });
    const id = `chatcmpl-${++ids}`;
    const calls = (t.calls ?? []).map((c, i) => ({ id: c.id ?? `call_${ids}_${i}`, name: c.name, args: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) }));
    const finish = t.finish ?? (calls.length ? 'tool_calls' : 'stop');
    const usage = { prompt_tokens: tokens(req.raw), completion_tokens: tokens(`${t.text ?? ''}${t.reasoning ?? ''}${calls.map((c) => c.args).join('')}`), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const base = { id, created: 1_700_000_000, model: req.body.model };
    if (req.body.stream !== true) {
      const message = {
        role: 'assistant', content: t.text ?? null, refusal: null,
        ...(t.reasoning ? { reasoning_content: t.reasoning } : {}),
        ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } })) } : {}),
      };
      return json(res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish, logprobs: null }], ...(t.noUsage ? {} : { usage }) });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (delta: Record<string, unknown>, finishReason: string | null = null): void => {
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] })}\n\n`);
    };
    send({ role: 'assistant', content: '' });
    for (const p of t.reasoning ? pieces(t.reasoning) : []) send({ reasoning_content: p });
    for (const p of t.text ? pieces(t.text) : []) send({ content: p });
    calls.forEach((c, index) => {
      send({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
      for (const p of pieces(c.args)) send({ tool_calls: [{ index, function: { arguments: p } }] });
    });
    send({}, finish);
    if (req.body.stream_options?.include_usage && !t.noUsage) res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  async function handle(httpReq: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of httpReq) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (httpReq.url ?? '/').split('?')[0] ?? '/';
    if (opts.apiKey !== undefined && httpReq.headers.authorization !== `Bearer ${opts.apiKey}`) return error(res, 401, 'Incorrect API key provided');
    if (httpReq.method === 'GET' && path.endsWith('/models')) return json(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'test' }] });
    if (httpReq.method !== 'POST' || !path.endsWith('/chat/completions')) return error(res, 404, `no route ${httpReq.method ?? ''} ${path}`);
    const req: ChatRequest = { path, headers: httpReq.headers, body: JSON.parse(raw) as ChatRequest['body'], raw };
    requests.push(req);
    const next = queue.shift() ?? (await opts.onRequest?.(req));
    if (!next) {
      failures.push(new Error(`chat-server: no scripted turn left for request #${requests.length}`));
      return error(res, 400, 'chat-server: no scripted turn left');
    }
    await play(res, req, next);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      failures.push(err instanceof Error ? err : new Error(String(err)));
      if (!res.headersSent) error(res, 400, `chat-server: ${String(err)}`);
      else res.socket?.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    get pending() {
      return queue.length;
    },
    script: (turns) => void queue.splice(0, queue.length, ...turns),
    enqueue: (...turns) => void queue.push(...turns),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const left = failures.splice(0);
      if (left.length) throw left.length === 1 ? left[0] : new AggregateError(left, `chat-server: ${left.length} failures`);
    },
  };
}

/** The tool messages a request sent back after the model's last calls, for assertions. */
export function toolResults(req: ChatRequest): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const m of req.body.messages.slice().reverse()) {
    if (m.role === 'assistant') break;
    if (m.role === 'tool') out.unshift({ id: m.tool_call_id ?? '', text: typeof m.content === 'string' ? m.content : JSON.stringify(m.content) });
  }
  return out;
}
