/**
 * A real MCP server over streamable HTTP on 127.0.0.1, built with the SDK's server side
 * (stateless: a server and transport per request, as the SDK's examples do it). It records the
 * tools called, so a test can tell that a refused call never reached it.
 */
import http from 'node:http';
import type net from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface HttpMcpServer {
  url: string;
  calls: { tool: string; args: unknown }[];
  close(): Promise<void>;
}

function build(calls: HttpMcpServer['calls'], authorization?: string): McpServer {
  const server = new McpServer({ name: 'mail', version: '1.0.0' });
  if (authorization !== undefined) {
    // Says back the header it was sent: the connector must mask it before the model sees it.
    server.registerTool('whoami', { description: 'Who is calling', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: `called with ${authorization}` }] }));
  }
  server.registerTool('list_inbox', { description: 'List the inbox', inputSchema: { limit: z.number().int().optional() }, annotations: { readOnlyHint: true } }, async (args) => {
    calls.push({ tool: 'list_inbox', args });
    return { content: [{ type: 'text', text: 'inbox: 2 messages (invoice from Oyo, lunch)' }] };
  });
  server.registerTool('send', { description: 'Send a message', inputSchema: { to: z.string(), body: z.string() } }, async (args) => {
    calls.push({ tool: 'send', args });
    return { content: [{ type: 'text', text: `sent to ${args.to}` }] };
  });
  return server;
}

/** `token`: every request without `Authorization: Bearer <token>` is refused (401), and counted. */
export async function startHttpMcpServer(opts: { token?: string } = {}): Promise<HttpMcpServer & { refused: number }> {
  const calls: HttpMcpServer['calls'] = [];
  const counts = { refused: 0 };
  const sockets = new Set<net.Socket>();
  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
          counts.refused++;
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'missing or wrong bearer token' }));
          return;
        }
        if (req.method !== 'POST') { res.writeHead(405).end(); return; }
        const server = build(calls, opts.token === undefined ? undefined : req.headers.authorization);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on('close', () => { void transport.close(); void server.close(); });
        await server.connect(transport);
        await transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8')));
      })();
    });
  });
  httpServer.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = (httpServer.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    get refused() { return counts.refused; },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); httpServer.close(() => resolve()); }),
  };
}
