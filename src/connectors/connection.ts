/**
 * One connector for one job: an MCP server reached through the official SDK's client, over
 * stdio (a confined program, see confine.ts) or streamable HTTP. Every failure of the server
 * (it crashes, hangs past its timeout, sends what is not MCP) becomes an error of that one
 * call, with the server's last words; nothing it does reaches the daemon as a throw.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { JobEgress, type ConnectionRecord } from '../sandbox/egress/job.js';
import { dropworkVersion } from '../version.js';
import { confine } from './confine.js';
import { ContainerTransport, dockerForConnectors, type JobOwner } from './container.js';
import { sandboxUser } from '../sandbox/image.js';

export interface ConnectorTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** The server's own word (annotations.readOnlyHint); a hint, so `approve: tools` holds the rest. */
  readOnly: boolean;
}

export interface OpenOptions {
  /** Values of the credentials.env lines the server names. */
  secrets: Record<string, string>;
  /** Folders a confined server must not see (dropwork's home). */
  hide: string[];
  onConnection?: ((r: ConnectionRecord) => void) | undefined;
  /** Starting and listing tools; @default 20000 */
  startMs?: number | undefined;
  /** The job and daemon a container belongs to (labelled like a sandbox's, removed at the next start after a crash). */
  job?: JobOwner | undefined;
}

const START_MS = 20_000;

/** `${NAME}` in a header's value is that secret; a value naming none is sent as written. */
export function fillHeaders(headers: Record<string, string>, secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/\$\{([^}]*)\}/g, (_, n: string) => secrets[n] ?? '')]));
}

export class Connector {
  private stopped: string | undefined;
  private stderrTail = '';

  private constructor(
    readonly name: string,
    private readonly client: Client,
    readonly tools: ConnectorTool[],
    private readonly timeoutMs: number,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async open(name: string, spec: McpServerConfig, opts: OpenOptions): Promise<Connector> {
    let scratch: string | undefined;
    let egress: JobEgress | undefined;
    const cleanup = async (): Promise<void> => {
      await egress?.close();
      if (scratch) await fs.rm(scratch, { recursive: true, force: true });
    };
    let transport: Transport;
    let stderr: Readable | null = null;
    try {
      if (spec.url !== undefined) {
        // The secrets go into these headers only (never the URL, which errors and logs may show).
        transport = new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers: fillHeaders(spec.headers, opts.secrets) } });
      } else if (spec.image !== undefined) {
        const docker = await dockerForConnectors();
        if (spec.network) egress = await JobEgress.open({ allow: spec.network.allow, onConnection: opts.onConnection, owner: sandboxUser() });
        const container = new ContainerTransport(docker, { name, image: spec.image, args: spec.args, secrets: opts.secrets, egressDir: egress?.dir, job: opts.job });
        transport = container;
        stderr = container.stderr;
      } else {
        scratch = await fs.mkdtemp(path.join(os.tmpdir(), `dropwork-mcp-${name}-`));
        if (spec.network) egress = await JobEgress.open({ allow: spec.network.allow, onConnection: opts.onConnection });
        const confined = confine({ command: spec.command ?? '', args: spec.args, secrets: opts.secrets, scratch, hide: opts.hide, egressDir: egress?.dir });
        const stdio = new StdioClientTransport({ ...confined, stderr: 'pipe', cwd: scratch });
        transport = stdio;
        stderr = stdio.stderr as Readable | null;
      }
      const client = new Client({ name: 'dropwork', version: dropworkVersion() });
      const connector = new Connector(name, client, [], spec.timeout_s * 1000, cleanup);
      stderr?.on('data', (c: Buffer) => { connector.stderrTail = (connector.stderrTail + c.toString()).slice(-1000); });
      client.onclose = () => { connector.stopped ??= 'it stopped'; };
      // A server that writes what is not MCP on its stdout is broken for the rest of the job: stopped.
      client.onerror = (err) => {
        if (!/parse|JSON|unexpected/i.test(err.message) || connector.stopped) return;
        connector.stopped = `it sent something that is not MCP (${err.message.slice(0, 200)})`;
        void client.close().catch(() => undefined);
      };
      const startMs = opts.startMs ?? START_MS;
      await client.connect(transport, { timeout: startMs });
      const listed = await client.listTools(undefined, { timeout: startMs });
      connector.tools.push(...listed.tools.map((t) => ({
        name: t.name,
        description: t.description ?? '',
        inputSchema: t.inputSchema as Record<string, unknown>,
        readOnly: t.annotations?.readOnlyHint === true,
      })));
      return connector;
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  /** Calls a tool; a failure of any kind is an Error whose message says what happened. */
  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal, timeoutMs = this.timeoutMs): Promise<CallToolResult> {
    if (this.stopped) throw new Error(`the ${this.name} connector is not running: ${this.stopped}${this.lastWords()}`);
    try {
      return (await this.client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: timeoutMs })) as CallToolResult;
    } catch (err) {
      if (signal.aborted) throw err;
      const message = errorMessage(err);
      if (/timed out|timeout/i.test(message)) throw new Error(`the ${this.name} connector did not answer within ${Math.round(timeoutMs / 1000)} s`);
      // A moment for the close to be noticed, so the message says it stopped rather than "Connection closed".
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.stopped) throw new Error(`the ${this.name} connector failed during the call: ${this.stopped}${this.lastWords()}`);
      // The server's own error (McpError) is its answer; anything else is an answer the SDK could not read.
      if (!(err instanceof McpError)) throw new Error(`the ${this.name} connector sent an answer that is not an MCP tool result: ${message.slice(0, 300)}`);
      throw new Error(`the ${this.name} connector failed: ${message.slice(0, 500)}`);
    }
  }

  private lastWords(): string {
    const tail = this.stderrTail.trim();
    return tail ? `; its last words: ${tail.slice(-400)}` : '';
  }

  async close(): Promise<void> {
    this.stopped ??= 'closed';
    await this.client.close().catch(() => undefined);
    await this.cleanup();
  }
}
