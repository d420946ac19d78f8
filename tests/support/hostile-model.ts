/**
 * A hostile model for the security tests (issue 11): a real HTTP server on 127.0.0.1 speaking
 * the Messages API's streaming wire format to the real SDK, like messages-server.ts, but whose
 * tool calls are raw JSON text chosen by the attack: invalid JSON, wrong types, unknown tools,
 * 10 MB paths. A fake only because a real model cannot be told to attack on cue.
 *
 * With `api: 'openai'` the same script is spoken as streamed chat completions (the arguments
 * of each call in 1 MB slices) to the real `openai` client, so the security suite runs against
 * both providers; requests are read back into the Messages shape the scripts already know.
 *
 *   const model = await startHostileModel((req, turn) => turn === 1 ? [call('write_file', {...})] : 'done');
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HostileRequest {
  body: { messages: { role: string; content: unknown }[]; tools?: { name: string }[]; system?: unknown };
  raw: string;
  headers: IncomingMessage['headers'];
}

/** One block of a reply: text, or a tool call whose input is sent as this exact JSON text. */
export type Block = { text: string } | { tool: string; json: string };

/** A reply: blocks (a tool_use turn when any is a call), or plain final text. */
export type Reply = Block[] | string;

export const call = (tool: string, input: unknown): Block => ({ tool, json: JSON.stringify(input) });
export const rawCall = (tool: string, json: string): Block => ({ tool, json });

export type HostileApi = 'anthropic' | 'openai';

export interface HostileModel {
  /** The base URL to configure: the server's root (Anthropic) or its /v1 (OpenAI). */
  url: string;
  api: HostileApi;
  requests: HostileRequest[];
  close(): Promise<void>;
}

function sse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** A chat-completions request in the Messages shape: tool messages become tool_result blocks ("error: " marks is_error). */
function asMessages(body: { messages: { role: string; content: unknown; tool_call_id?: string }[]; tools?: { function: { name: string } }[] }): HostileRequest['body'] {
  const messages: HostileRequest['body']['messages'] = [];
  for (const m of body.messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const text = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
      const block = { type: 'tool_result', tool_use_id: m.tool_call_id, content: text.replace(/^error: /, ''), is_error: text.startsWith('error: ') };
      const last = messages.at(-1);
      if (last?.role === 'user' && Array.isArray(last.content) && (last.content as { type: string }[]).every((b) => b.type === 'tool_result')) (last.content as unknown[]).push(block);
      else messages.push({ role: 'user', content: [block] });
    } else messages.push({ role: m.role, content: m.content });
  }
  return { messages, tools: (body.tools ?? []).map((t) => ({ name: t.function.name })) };
}

function chunk(id: number, delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: 0, model: 'hostile', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

export async function startHostileModel(script: (req: HostileRequest, turn: number) => Reply | Promise<Reply>, api: HostileApi = 'anthropic'): Promise<HostileModel> {
  const requests: HostileRequest[] = [];
  const sockets = new Set<Socket>();
  let ids = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (api === 'openai') {
          if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
            res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no","type":"not_found"}}');
            return;
          }
          const request: HostileRequest = { body: asMessages(JSON.parse(raw) as Parameters<typeof asMessages>[0]), raw, headers: req.headers };
          requests.push(request);
          const reply = await script(request, requests.length);
          const blocks: Block[] = typeof reply === 'string' ? [{ text: reply }] : reply;
          const n = requests.length;
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(chunk(n, { role: 'assistant', content: '' }));
          const calls = blocks.filter((b): b is { tool: string; json: string } => 'tool' in b);
          for (const b of blocks) if ('text' in b) res.write(chunk(n, { content: b.text }));
          calls.forEach((b, index) => {
            res.write(chunk(n, { tool_calls: [{ index, id: `call_${++ids}`, type: 'function', function: { name: b.tool, arguments: '' } }] }));
            for (let i = 0; i < b.json.length; i += 1 << 20) res.write(chunk(n, { tool_calls: [{ index, function: { arguments: b.json.slice(i, i + (1 << 20)) } }] }));
          });
          res.write(chunk(n, {}, calls.length ? 'tool_calls' : 'stop'));
          res.write(`data: ${JSON.stringify({ id: `chatcmpl-${n}`, object: 'chat.completion.chunk', created: 0, model: 'hostile', choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n`);
          res.end('data: [DONE]\n\n');
          return;
        }
        if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"not_found_error","message":"no"}}');
          return;
        }
        const request: HostileRequest = { body: JSON.parse(raw) as HostileRequest['body'], raw, headers: req.headers };
        requests.push(request);
        const reply = await script(request, requests.length);
        const blocks: Block[] = typeof reply === 'string' ? [{ text: reply }] : reply;
        const toolTurn = blocks.some((b) => 'tool' in b);
        res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': `req_${requests.length}` });
        const usage = { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
        res.write(sse('message_start', { message: { id: `msg_${requests.length}`, type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage } }));
        blocks.forEach((b, index) => {
          if ('text' in b) {
            res.write(sse('content_block_start', { index, content_block: { type: 'text', text: '' } }));
            res.write(sse('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } }));
          } else {
            res.write(sse('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_${++ids}`, name: b.tool, input: {} } }));
            for (let i = 0; i < b.json.length; i += 1 << 20) {
              res.write(sse('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: b.json.slice(i, i + (1 << 20)) } }));
            }
          }
          res.write(sse('content_block_stop', { index }));
        });
        res.write(sse('message_delta', { delta: { stop_reason: toolTurn ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }));
        res.end(sse('message_stop', {}));
      })().catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(err) } }));
      });
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: api === 'openai' ? `${root}/v1` : root,
    api,
    requests,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The tool results of the last user message of a request, as text, for assertions. */
export function lastResults(req: HostileRequest): { text: string; isError: boolean }[] {
  const last = req.body.messages.at(-1);
  if (!last || !Array.isArray(last.content)) return [];
  return (last.content as { type: string; content?: unknown; is_error?: boolean }[])
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({ text: typeof b.content === 'string' ? b.content : JSON.stringify(b.content), isError: b.is_error === true }));
}
