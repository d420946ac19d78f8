import { basename } from 'node:path';
import { z } from 'zod';
import { ToolError } from '../../errors.js';
import { withFile } from '../../nofollow.js';
import { factsOf as contentFacts } from '../../publish/content.js';
import { showFile } from '../files/attach.js';
import { factsOf } from '../files/kind.js';
import { define } from '../tool.js';
import { locate } from '../workspace/workspace.js';
import { parseModelPath } from '../workspace/resolve.js';

/**
 * Text as text (paged by lines), PDFs as a document (or their text, paged by pages, when they
 * are too big or the provider takes no PDFs), images as an image, anything else described.
 */
export const readFile = define('read_file', {
  description: 'Read a file. Text comes back paged by lines; offset/limit count pages for a PDF read as text.',
  parameters: z.object({
    path: z.string().min(1),
    offset: z.number().int().min(1).optional().describe('first line (or page), from 1'),
    limit: z.number().int().min(1).optional(),
  }),
  async execute({ path, offset, limit }, ctx) {
    const target = parseModelPath(path, 'read');
    const where = locate(ctx.ws, target);
    if (!where) throw new ToolError(`${target.shown} does not exist`);
    if (where.rel === '') throw new ToolError(`${target.shown} is a folder; use list_files`);
    // A file of the outputs folder read before this job writes it: what a rewrite of it starts
    // from, so publishing can add only what this job added (another job may append meanwhile).
    const fromOutputs = target.area === 'output' && where.base === ctx.ws.outputs && !ctx.ws.bases.has(target.rel);
    // Read through the file as opened, never through a link (see nofollow.ts).
    const shown = await withFile(where.base, where.rel, target.shown, async (file, st) => {
      if (st.isDirectory()) throw new ToolError(`${target.shown} is a folder; use list_files`);
      if (fromOutputs) ctx.ws.bases.set(target.rel, contentFacts(file));
      return showFile(file, await factsOf(file, basename(where.rel)), target.shown, ctx.pdfMode, { offset, limit }, 'read', { images: ctx.images, maxChars: ctx.textMaxChars });
    });
    if (!shown) throw new ToolError(`${target.shown} does not exist`);
    if (shown.blocks.length === 1 && shown.blocks[0]?.type === 'text') return shown.blocks[0].text;
    return [{ type: 'text', text: `${target.shown}, ${shown.how}:` }, ...shown.blocks];
  },
});
