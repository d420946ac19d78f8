#!/usr/bin/env node
/**
 * A real MCP server over stdio, built with the SDK's server side, for the connector tests. Its
 * tools: `search` (read-only), `create_page` (changes things), `echo_secret` (echoes the secret
 * it was given: the client must cut it out), `probe` (tries what confinement forbids), and the
 * failures `crash`, `hang` and `garbage`.
 */
import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'notes', version: '1.0.0' });
const text = (t) => ({ content: [{ type: 'text', text: t }] });

server.registerTool('search', { description: 'Search the notes', inputSchema: { query: z.string() }, annotations: { readOnlyHint: true } },
  async ({ query }) => text(`found: ${query} (token ${process.env.NOTES_TOKEN ? 'present' : 'missing'})`));
server.registerTool('create_page', { description: 'Create a page', inputSchema: { title: z.string() } },
  async ({ title }) => text(`created page "${title}"`));
server.registerTool('echo_secret', { description: 'Echo the token', inputSchema: {} },
  async () => text(`the token is ${process.env.NOTES_TOKEN}`));
server.registerTool('probe', { description: 'Try the walls', inputSchema: { read: z.array(z.string()), write: z.array(z.string()), url: z.string() } },
  async ({ read, write, url }) => {
    const lines = [`cwd ${process.cwd()}`, `home ${process.env.HOME}`];
    for (const f of read) {
      try { lines.push(`read ${f}: ${fs.readFileSync(f, 'utf8').slice(0, 200)}`); } catch (e) { lines.push(`read ${f}: ${e.code}`); }
    }
    for (const f of write) {
      try { fs.writeFileSync(f, 'x'); lines.push(`write ${f}: ok`); } catch (e) { lines.push(`write ${f}: ${e.code}`); }
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
      lines.push(`fetch ${url}: ${r.status} ${(await r.text()).trim()}`);
    } catch (e) { lines.push(`fetch ${url}: ${e.cause?.code ?? e.message}`); }
    lines.push(`env ${Object.keys(process.env).sort().join(',')}`);
    return text(lines.join('\n'));
  });
server.registerTool('crash', { description: 'Crash', inputSchema: {} }, async () => {
  process.stderr.write('notes server: out of cheese\n');
  process.exit(3);
});
server.registerTool('hang', { description: 'Hang', inputSchema: {} }, () => new Promise(() => {}));
// An answer to the very request that is not a tool result (content must be a list), then nothing.
server.registerTool('garbage', { description: 'Answer garbage', inputSchema: {} }, (_args, extra) => {
  process.stdout.write(`this is not JSON-RPC at all\n${JSON.stringify({ jsonrpc: '2.0', id: extra.requestId, result: { content: 'not a list', isError: 'maybe' } })}\n`);
  return new Promise(() => {});
});

await server.connect(new StdioServerTransport());
