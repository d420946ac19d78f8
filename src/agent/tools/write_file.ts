import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ToolError, UnrecoverableError } from '../../errors.js';
import { formatBytes } from '../../sandbox/limits.js';
import { measure } from '../../sandbox/output.js';
import { agentSettings } from '../settings.js';
import { define } from '../tool.js';
import { factsOf, type ContentFacts } from '../../publish/content.js';
import { reservedName } from '../../publish/publish.js';
import { parseModelPath } from '../workspace/resolve.js';
import { locate, writeTarget } from '../workspace/workspace.js';

/**
 * Text into output/. Written to a temporary name and renamed, so a file is whole or absent and
 * a link planted by a command is replaced, never written through. `append` adds to the end
 * (of the outputs folder's version when this job has not written the file yet): a ledger row
 * then costs no read of the whole ledger.
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
    const before = append ? locate(ctx.ws, target) : undefined;
    const dest = writeTarget(ctx.ws, target);
    if (fs.existsSync(dest) && fs.lstatSync(dest).isDirectory()) throw new ToolError(`${target.shown} is a folder`);
    const used = (await measure([ctx.ws.output])).bytes;
    if (used + bytes > ctx.limits.writeCapBytes) {
      throw new UnrecoverableError(`write cap exceeded: output/ would hold ${formatBytes(used + bytes)}, more than ${formatBytes(ctx.limits.writeCapBytes)}`);
    }
    const existed = fs.existsSync(dest) || ctx.ws.replaces.has(target.rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const temp = path.join(path.dirname(dest), `.write-${randomBytes(6).toString('hex')}.tmp`);
    try {
      if (before) fs.copyFileSync(before, temp);
      // An append to a file this job has not started yet starts from what it copied (or from
      // nothing): publishing then adds this job's rows onto the ledger as it is by then.
      // (The copy, not the outputs file: another job may have published onto it since.)
      if (append && before && before !== dest) ctx.ws.bases.set(target.rel, factsOf(temp));
      else if (append && !before) ctx.ws.bases.set(target.rel, EMPTY);
      fs.appendFileSync(temp, content, { mode: 0o644 });
      fs.renameSync(temp, dest);
    } finally {
      fs.rmSync(temp, { force: true });
    }
    const size = fs.statSync(dest).size;
    const verb = append ? (before ? 'appended to' : 'created') : existed ? 'replaced' : 'wrote';
    return `${verb} ${target.shown} (${size} bytes${append && before ? ` now, +${bytes}` : ''})`;
  },
});
