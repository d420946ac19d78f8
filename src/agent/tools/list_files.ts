import { z } from 'zod';
import { define } from '../tool.js';
import { formatEntries, listFolder } from '../workspace/listing.js';
import { parseModelPath } from '../workspace/resolve.js';

/** One folder's entries with size and type; output/ shows the outputs folder as it will be published. */
export const listFiles = define('list_files', {
  description: 'List a folder of the workspace (default: its root) with each entry\'s type and size.',
  parameters: z.object({
    path: z.string().optional().describe('e.g. input or output/covers'),
  }),
  async execute({ path }, ctx) {
    const target = parseModelPath(path ?? '.', 'read');
    const entries = listFolder(ctx.ws, target);
    if (entries.length === 0) return `${target.shown} is empty`;
    return `${target.shown}:\n${formatEntries(entries)}`;
  },
});
