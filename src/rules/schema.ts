import cron from 'node-cron';
import { z } from 'zod';
import { parseAllowEntry } from '../sandbox/egress/allowlist.js';
import { checkGlob } from './glob.js';
import { checkTemplate } from './template.js';

/** What a rule file may say, key by key. Unknown keys are errors, so typos never pass silently. */

const text = z.string().trim().min(1, 'must not be empty');
const folder = text;
const oneOrMany = z.union([text, z.array(text).min(1)], { error: 'must be a folder or a list of folders' });
export const conflictPolicy = z.enum(['rename', 'skip', 'overwrite'], {
  error: 'must be rename, skip or overwrite',
});

const action = z
  .strictObject({
    copy: folder.optional(),
    move: folder.optional(),
    rename: text.optional(),
    on_conflict: conflictPolicy.optional(),
  }, { error: 'each action is a mapping such as `copy: FOLDER`, `move: FOLDER` or `rename: TEMPLATE`' })
  .superRefine((a, ctx) => {
    const kinds = (['copy', 'move', 'rename'] as const).filter((k) => a[k] !== undefined);
    if (kinds.length !== 1) {
      // A step whose only key is a typo ("copyy") is said once, as the typo with its "did you
      // mean" (located-yaml.ts drops this one then: `unlessUnknownKey`).
      ctx.addIssue({ code: 'custom', message: kinds.length ? `has ${kinds.join(' and ')}; one step per list item` : 'needs copy, move or rename', params: { unlessUnknownKey: kinds.length === 0 } });
      return;
    }
    const kind = kinds[0] as 'copy' | 'move' | 'rename';
    const target = a[kind];
    const problem = typeof target === 'string' ? checkTemplate(target) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: [kind], message: problem });
  }, {
    // Also when another key of the step is wrong (a bad on_conflict must not hide a bad
    // template); the values are unchecked here, hence the typeof guard.
    when: isMapping,
  });

/** `true` (everything), or `{allow: [hosts]}`: only those, through the job's egress proxy. */
const allowEntry = z.string().superRefine((s, ctx) => {
  const parsed = parseAllowEntry(s);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});
const network = z.union([
  z.boolean(),
  z.strictObject({ allow: z.array(allowEntry, { error: 'is a list of hosts such as ["api.example.org", "*.example.org:443"]' }).min(1, 'names at least one host (or use `network: false`)') }),
// The bad value is echoed by the wording of every rule error (zod-words), not here again.
], { error: 'must be true (every host), false (none), or {allow: [hosts]}' });

const after = z.union([z.literal('keep'), z.literal('trash'), z.strictObject({ move: folder })], {
  error: 'must be keep, trash, or move: FOLDER',
});

export const ruleSchema = z
  .strictObject({
    name: z.string({ error: 'is required: a short unique name such as "receipts"' })
      .trim()
      .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, 'may use letters, digits, spaces, "-", "_" and "."'),
    watch: oneOrMany.optional(),
    files: z.union([text, z.array(text).min(1)], { error: 'must be a pattern such as "*.pdf", or a list of them' }).optional(),
    recursive: z.boolean().default(false),
    output: folder.optional(),
    actions: z.array(action).min(1, 'needs at least one step').optional(),
    do: text.optional(),
    if: text.optional(),
    schedule: text.optional(),
    timezone: text.optional(),
    catch_up: z.boolean().default(false),
    input: folder.optional(),
    notify: z.enum(['always', 'failures', 'never']).default('always'),
    /** `tools`: the job waits at the first call of a connector's tool that its server does not mark read-only. */
    approve: z.enum(['never', 'first', 'always', 'tools']).default('never'),
    model: text.optional(),
    /** A named provider of config.yaml's `providers:`; unset: the default (`provider:`). */
    provider: text.optional(),
    max_turns: z.number().int().min(1).max(200).default(20),
    max_cost_usd: z.number().positive().default(0.5),
    concurrency: z.number().int().min(1).max(32).default(1),
    /** The old name of skip_files_over_mb (src/rules/renamed.ts): still read, with a warning. */
    max_file_mb: z.number().positive().optional(),
    /** Larger files are skipped with the reason. Optional (not defaulted) so existing rules keep their hash. */
    skip_files_over_mb: z.number().positive().optional(),
    after: after.default('keep'),
    on_conflict: conflictPolicy.default('rename'),
    /** Learn a program from the agent's jobs (src/program); unset: suggest where a sandbox runs it. */
    compile: z.enum(['off', 'suggest', 'auto'], { error: 'must be off, suggest or auto' }).optional(),
    compile_after: z.number().int().min(1).max(20).default(3),
    recompile_after: z.number().int().min(1).max(100).default(3),
    compile_max_cost_usd: z.number().positive().default(0.5),
    poll: z.boolean().optional(),
    /** Connectors (config.yaml's `mcp:`) whose tools the agent may use: `notion`, or `notion.search` for one tool. */
    tools: z.array(text.regex(/^[A-Za-z0-9_-]+(\.[^\s.][^\s]*)?$/, 'is a connector named in config.yaml\'s mcp: ("notion"), or one of its tools ("notion.search")'), {
      error: 'is a list of connectors, such as [notion, mail.send]',
    }).min(1).optional(),
    sandbox: z.strictObject({
      network: network.default(false),
      /** Longest a single command may run, seconds. */
      max_command_s: z.number().int().min(1).max(3600).default(600),
    }).default({ network: false, max_command_s: 600 }),
  })
  .superRefine((r, ctx) => {
    if (r.actions && r.do) ctx.addIssue({ code: 'custom', path: ['do'], message: 'a rule has `actions` or `do`, not both' });
    if (!r.actions && !r.do) ctx.addIssue({ code: 'custom', path: [], message: 'needs `actions` (steps) or `do` (a task in plain English)' });
    // An empty `watch:` (or `watch: ~`) is said once, as empty, by the key's own check.
    if (r.watch === undefined && !r.schedule) ctx.addIssue({ code: 'custom', path: ['watch'], message: 'is required: the inbox folder to watch (or give a `schedule`)' });
    if (typeof r.schedule === 'string' && !cron.validate(r.schedule)) {
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: `"${r.schedule}" is not a cron expression (5 or 6 fields, e.g. "0 8 * * MON")` });
    }
    if (r.max_file_mb !== undefined && r.skip_files_over_mb !== undefined) ctx.addIssue({ code: 'custom', path: ['max_file_mb'], message: 'is the old name of skip_files_over_mb: keep only skip_files_over_mb' });
    if (typeof r.timezone === 'string' && !validTimezone(r.timezone)) ctx.addIssue({ code: 'custom', path: ['timezone'], message: `"${r.timezone}" is not a time zone such as "Europe/Paris"` });
    if (r.timezone && !r.schedule) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'only means something with `schedule`' });
    if (r.input && !r.schedule) ctx.addIssue({ code: 'custom', path: ['input'], message: 'only means something with `schedule`' });
    const globs: unknown[] = r.files === undefined ? [] : Array.isArray(r.files) ? r.files : [r.files];
    globs.forEach((g, i) => {
      const problem = typeof g === 'string' ? checkGlob(g) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: Array.isArray(r.files) ? ['files', i] : ['files'], message: problem });
    });
  }, {
    // Run these checks even when a key above is wrong, so `rules check` lists every problem at
    // once; hence the typeof guards: the values here are not validated yet. Only for a mapping:
    // on `- null` or a bare word there is nothing to check (and `r.actions` would throw).
    when: isMapping,
  });

/** For refinements that run on unvalidated input: is it a mapping at all? */
function isMapping(payload: { value: unknown }): boolean {
  const v = payload.value;
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type RuleInput = z.output<typeof ruleSchema>;

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
