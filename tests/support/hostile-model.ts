/**
 * A hostile model for the security tests (issue 11): a real HTTP server on 127.0.0.1 speaking
 * the Messages API's streaming wire format to the real SDK, like messages-server.ts, but whose
 * tool calls are raw JSON text chosen by the attack: invalid JSON, wrong types, unknown tools,
 * 10 MB paths. A fake only because a real model cannot be told to attack on cue.
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

export interface HostileModel {
  url: string;
  requests: HostileRequest[];
  close(): Promise<void>;
}

function sse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export async function startHostileModel(script: (req: HostileRequest, turn: number) => Reply | Promise<Reply>): Promise<HostileModel> {
  const requests: HostileRequest[] = [];
  const sockets = new Set<Socket>();
  let ids = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
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
