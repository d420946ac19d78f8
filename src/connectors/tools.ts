/**
 * A rule's connectors as agent tools: `tools: [notion, mail.send]` opens those MCP servers for
 * the job, and each of their tools (or only the named ones) is offered to the model beside the
 * built-in ones as `<server>__<tool>`, with the server's own JSON Schema. Results come back as
 * text and images; any secret the server was given is cut out of them before the model or the
 * history sees them.
 */
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Block } from '../agent/files/attach.js';
import { define, type AgentTool, type ToolOutput } from '../agent/tool.js';
import { readCredentialsFile } from '../agent/credentials.js';
import { didYouMean } from '../closest.js';
import type { Config } from '../config.js';
import { ToolError, UnrecoverableError, WaitJob, errorMessage } from '../errors.js';
import { argsLine } from '../agent/transcript.js';
import { AWAITING_TOOL_APPROVAL } from '../run/approval.js';
import type { JobOwner } from './container.js';
import type { Rule } from '../rules/rule.js';
import type { ConnectionRecord } from '../sandbox/egress/proxy.js';
import { Connector, type ConnectorTool } from './connection.js';

/** The model's name for a connector's tool (the API allows [a-zA-Z0-9_-], at most 64). */
export function toolName(server: string, tool: string): string {
  return `${server}__${tool.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64);
}

/** `notion` → every tool of notion; `notion.search` → that one. */
export function parseToolRefs(refs: readonly string[]): Map<string, Set<string> | 'all'> {
  const out = new Map<string, Set<string> | 'all'>();
  for (const ref of refs) {
    const dot = ref.indexOf('.');
    const server = dot < 0 ? ref : ref.slice(0, dot);
    const had = out.get(server);
    if (dot < 0 || had === 'all') { out.set(server, 'all'); continue; }
    out.set(server, new Set([...(had ?? []), ref.slice(dot + 1)]));
  }
  return out;
}

export interface JobConnectors {
  tools: AgentTool[];
  /** Each offered tool's server and read-only hint, by the model's name for it (approve: tools). */
  info: Map<string, { server: string; tool: string; readOnly: boolean }>;
  close(): Promise<void>;
}

export interface ConnectorContext {
  config: Pick<Config, 'mcp'>;
  home: string;
  /** Folders a confined server must not see. */
  hide: string[];
  note(kind: string, message: string, data?: unknown): void;
  onConnection?: ((r: ConnectionRecord) => void) | undefined;
  /** `approve: tools` and not yet approved: a call of a tool not marked read-only holds the job. */
  holdChanges?: boolean | undefined;
  /** The job and daemon its containers belong to. */
  job?: JobOwner | undefined;
}

export async function openConnectors(rule: Pick<Rule, 'name' | 'tools'>, ctx: ConnectorContext): Promise<JobConnectors> {
  const open: Connector[] = [];
  const tools: AgentTool[] = [];
  const info: JobConnectors['info'] = new Map();
  const close = async (): Promise<void> => { await Promise.all(open.map((c) => c.close())); };
  try {
    const credentials = rule.tools.length ? readCredentialsFile(ctx.home) : {};
    for (const [server, wanted] of parseToolRefs(rule.tools)) {
      const spec = ctx.config.mcp[server];
      if (!spec) throw new UnrecoverableError(`rule "${rule.name}" names the connector "${server}", which config.yaml's mcp: does not define${didYouMean(server, Object.keys(ctx.config.mcp))}`);
      const secrets: Record<string, string> = {};
      for (const name of spec.env) {
        const value = credentials[name];
        if (value === undefined) throw new UnrecoverableError(`the ${server} connector needs ${name}, which is not in credentials.env`);
        secrets[name] = value;
      }
      let connector: Connector;
      try {
        connector = await Connector.open(server, spec, { secrets, hide: ctx.hide, onConnection: ctx.onConnection, job: ctx.job });
      } catch (err) {
        if (err instanceof UnrecoverableError) throw new UnrecoverableError(`the ${server} connector: ${err.message}`);
        throw new Error(`the ${server} connector could not start: ${scrub(errorMessage(err), Object.values(secrets))}`);
      }
      open.push(connector);
      const offered = wanted === 'all' ? connector.tools : connector.tools.filter((t) => wanted.has(t.name));
      if (wanted !== 'all') {
        for (const w of wanted) {
          if (!connector.tools.some((t) => t.name === w)) throw new UnrecoverableError(`rule "${rule.name}" names ${server}.${w}, a tool the ${server} connector does not offer${didYouMean(w, connector.tools.map((t) => t.name))}`);
        }
      }
      for (const t of offered) {
        const name = toolName(server, t.name);
        info.set(name, { server, tool: t.name, readOnly: t.readOnly });
        tools.push(connectorTool(name, connector, t, Object.values(secrets), ctx.holdChanges === true && !t.readOnly));
      }
      ctx.note('connector', `${server}: ${offered.length} tool(s) offered: ${offered.map((t) => `${t.name}${t.readOnly ? ' (read-only)' : ''}`).join(', ')}`, { server, tools: offered.map((t) => ({ name: t.name, read_only: t.readOnly })) });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { tools, info, close };
}

function connectorTool(name: string, connector: Connector, tool: ConnectorTool, secrets: string[], hold: boolean): AgentTool {
  return define(name, {
    description: `[${connector.name}] ${tool.description}`.trim().slice(0, 4000),
    parameters: z.looseObject({}),
    inputSchema: tool.inputSchema.type === 'object' ? tool.inputSchema : { type: 'object', properties: {} },
    async execute(args, ctx) {
      // The call is shown (the job's reason and history); approving runs the job again with its calls allowed.
      if (hold) throw new WaitJob(`${AWAITING_TOOL_APPROVAL}: ${connector.name}.${tool.name} ${scrub(argsLine(args), secrets)} (its server does not mark it read-only)`);
      let result: CallToolResult;
      try {
        result = await connector.call(tool.name, args, ctx.signal);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw new ToolError(scrub(errorMessage(err), secrets));
      }
      const output = toOutput(result, secrets);
      if (result.isError) throw new ToolError(typeof output === 'string' ? output : output.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n'));
      return output;
    },
  }) as unknown as AgentTool;
}

const MAX_TEXT = 100_000;

function toOutput(result: CallToolResult, secrets: string[]): ToolOutput {
  const blocks: Block[] = [];
  for (const c of Array.isArray(result.content) ? result.content : []) {
    if (c.type === 'text') blocks.push({ type: 'text', text: scrub(c.text, secrets) });
    else if (c.type === 'image' && /^image\/(png|jpeg|gif|webp)$/.test(c.mimeType)) blocks.push({ type: 'image', source: { type: 'base64', media_type: c.mimeType as 'image/png', data: c.data } });
    else blocks.push({ type: 'text', text: scrub(JSON.stringify(c), secrets) });
  }
  if (blocks.length === 0 && result.structuredContent) blocks.push({ type: 'text', text: scrub(JSON.stringify(result.structuredContent), secrets) });
  if (blocks.every((b) => b.type === 'text')) {
    const text = blocks.map((b) => (b as { text: string }).text).join('\n');
    return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n[... ${text.length - MAX_TEXT} more characters left out]` : text || '(no content)';
  }
  return blocks;
}

/** A secret the server holds never reaches the model or the history, even when the server echoes it. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join('…redacted');
  return out;
}
