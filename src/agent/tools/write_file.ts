import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ToolError, UnrecoverableError } from '../../errors.js';
import { writeFileIn, withFile } from '../../nofollow.js';
import { factsOf, type ContentFacts } from '../../publish/content.js';
import { reservedName } from '../../publish/publish.js';
import { formatBytes } from '../../sandbox/limits.js';
import { measure } from '../../sandbox/output.js';
import { agentSettings } from '../settings.js';
import { define } from '../tool.js';
import { parseModelPath } from '../workspace/resolve.js';
import { checkWritable, locate } from '../workspace/workspace.js';

/**
 * Text into output/. Written to a temporary name and renamed, so a file is whole or absent and
 * a link planted by a command is replaced, never written through (nor any link on the way:
 * see nofollow.ts). `append` adds to the end (of the outputs folder's version when this job
 * has not written the file yet): a ledger row then costs no read of the whole ledger.
 */
const EMPTY: ContentFacts = { size: 0, sha256: createHash('sha256').digest('hex') };

export const writeFile = define('write_file', {
  description: 'Write a text file into output/ (folders are created). Replaces the file, or adds to its end with append.',
  parameters: z.object({
    path: z.string().min(1).describe('e.g. output/summary.md'),
    content: z.string(),
    append: z.boolean().optional(),
  }),
  async execute({ path: raw, content, append }, ctx) {
    const bytes = Buffer.byteLength(content);
    if (bytes > agentSettings.writeMaxBytes) throw new ToolError(`content is ${formatBytes(bytes)}; one write takes at most ${formatBytes(agentSettings.writeMaxBytes)}`);
    const target = parseModelPath(raw, 'write');
    const reserved = reservedName(target.rel);
    if (reserved) throw new ToolError(`${target.shown}: ${reserved}`);
    const from = append ? locate(ctx.ws, target) : undefined;
    const existedHere = locate(ctx.ws, target)?.base === ctx.ws.output;
    checkWritable(ctx.ws, target);
    const used = (await measure([ctx.ws.output])).bytes;
    if (used + bytes > ctx.limits.writeCapBytes) {
      throw new UnrecoverableError(`write cap exceeded: output/ would hold ${formatBytes(used + bytes)}, more than ${formatBytes(ctx.limits.writeCapBytes)}`);
    }
    const existed = existedHere || ctx.ws.replaces.has(target.rel);
    // Appending copies the file as opened (withFile), never a link's target, then adds.
    const write = async (current?: string): Promise<number> => writeFileIn(ctx.ws.output, target.rel, target.shown, content, current);
    // An append to a file this job has not started yet starts from the outputs folder's version
    // as opened (or from nothing): publishing then adds this job's rows onto the ledger as it
    // is by then, whatever other jobs published onto it meanwhile. (The file as copied, not as
    // read earlier: another job may have published onto it since.)
    const appendFromOutputs = async (current: string): Promise<number> => {
      ctx.ws.bases.set(target.rel, factsOf(current));
      return write(current);
    };
    let size: number;
    if (from && from.base !== ctx.ws.output) size = (await withFile(from.base, from.rel, target.shown, appendFromOutputs)) ?? (await write());
    else if (from) size = (await withFile(from.base, from.rel, target.shown, write)) ?? (await write());
    else {
      if (append) ctx.ws.bases.set(target.rel, EMPTY);
      size = await write();
    }
    const before = from !== undefined;
    const verb = append ? (before ? 'appended to' : 'created') : existed ? 'replaced' : 'wrote';
    return `${verb} ${target.shown} (${size} bytes${append && before ? ` now, +${bytes}` : ''})`;
  },
});
