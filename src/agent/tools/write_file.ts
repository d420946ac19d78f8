import { z } from 'zod';
import { ToolError, UnrecoverableError } from '../../errors.js';
import { formatBytes } from '../../sandbox/limits.js';
import { writeFileIn, withFile } from '../../nofollow.js';
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
    const size = from ? ((await withFile(from.base, from.rel, target.shown, write)) ?? (await write())) : await write();
    const before = from !== undefined;
    const verb = append ? (before ? 'appended to' : 'created') : existed ? 'replaced' : 'wrote';
    return `${verb} ${target.shown} (${size} bytes${append && before ? ` now, +${bytes}` : ''})`;
  },
});
