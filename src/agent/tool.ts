/**
 * An agent tool is `define(name, {description, parameters, execute})`: zod parameters, from
 * which the JSON Schema the model sees is made, and one wrapper that validates the arguments
 * and turns every failure into an `is_error` result the model can act on. Only a broken limit
 * (UnrecoverableError) or a cancelled job ends the job from inside a tool.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { UnrecoverableError, WaitJob, errorMessage } from '../errors.js';
import { clip } from '../nofollow.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { SandboxLimits } from '../sandbox/limits.js';
import type { Block } from './files/attach.js';
import type { Workspace } from './workspace/workspace.js';

export type ToolOutput = string | Block[];

/** The job's sandbox, opened on the first command; none when no backend works here. */
export interface SandboxHandle {
  kind: Sandbox['kind'];
  /** Why this backend (or none), for the history. */
  reason: string;
  open(): Promise<Sandbox>;
}

export interface ToolContext {
  ws: Workspace;
  pdfMode: 'document' | 'text';
  /** false: the model cannot see images (a provider's `vision: false`); they are described instead. */
  images?: boolean | undefined;
  /** Text per read on a model with a small context (context-fit.ts). */
  textMaxChars?: number | undefined;
  signal: AbortSignal;
  limits: SandboxLimits;
  /** When the job's sandbox clock started (performance.now() is not needed: wall time is fine here). */
  startedAt: number;
  sandbox?: SandboxHandle | undefined;
  /** Adds a line to the job's history (a sandbox opened, outputs copied for commands). */
  note(kind: string, message: string, data?: unknown): void;
}

export interface AgentTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  parameters: S;
  /** The JSON Schema the model sees, when it comes from elsewhere (a connector's tool) rather than `parameters`. */
  inputSchema?: Record<string, unknown> | undefined;
  execute(args: z.output<S>, ctx: ToolContext): Promise<ToolOutput>;
}

export function define<S extends z.ZodObject>(name: string, spec: Omit<AgentTool<S>, 'name'>): AgentTool<S> {
  return { name, ...spec };
}

/**
 * The tool as the model sees it, lean: every request pays for these tokens. `io: 'input'`
 * leaves out `additionalProperties`, and the safe-integer bounds zod gives every integer go.
 */
export function toApiTool(tool: AgentTool): Anthropic.Tool {
  if (tool.inputSchema) return { name: tool.name, description: tool.description, input_schema: tool.inputSchema as Anthropic.Tool.InputSchema };
  const json = JSON.stringify(z.toJSONSchema(tool.parameters, { io: 'input' }), (key, value: unknown) =>
    key === '$schema' || (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) ? undefined : value);
  return { name: tool.name, description: tool.description, input_schema: JSON.parse(json) as Anthropic.Tool.InputSchema };
}

export interface ToolRun {
  content: ToolOutput;
  isError: boolean;
}

export async function runTool(tool: AgentTool | undefined, name: string, input: unknown, ctx: ToolContext): Promise<ToolRun> {
  // Error text is the model's to read and goes into the history: never megabytes of it.
  if (!tool) return { content: `there is no tool named "${clip(name, 100)}"`, isError: true };
  const parsed = tool.parameters.safeParse(input);
  if (!parsed.success) return { content: clip(`invalid arguments for ${name}:\n${z.prettifyError(parsed.error)}`, 2000), isError: true };
  try {
    return { content: await tool.execute(parsed.data, ctx), isError: false };
  } catch (err) {
    // A wait (approve: tools at a connector's call) ends the attempt, as a broken limit does.
    if (err instanceof UnrecoverableError || err instanceof WaitJob || ctx.signal.aborted) throw err;
    return { content: clip(`${name} failed: ${errorMessage(err)}`, 2000), isError: true };
  }
}
