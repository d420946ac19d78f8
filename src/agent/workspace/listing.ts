/**
 * What a folder of the workspace holds, as list_files and the first message show it. In
 * output/, the job's own files and the outputs folder's files appear as one folder (the
 * job's version wins), which is what the model will find published.
 */
import { ToolError } from '../../errors.js';
import { entryStat, listFolderEntries, type FolderEntry } from '../../nofollow.js';
import { TEMP_PREFIX } from '../../publish/publish.js';
import type { Target } from './resolve.js';
import type { Workspace } from './workspace.js';

export interface Entry {
  name: string;
  type: 'file' | 'folder' | 'link' | 'other';
  size: number;
}

function entriesOf(found: FolderEntry[]): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const { name, st } of found) {
    if (name.startsWith(TEMP_PREFIX)) continue;
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'folder' : st.isSymbolicLink() ? 'link' : 'other';
    out.set(name, { name, type, size: st.isFile() ? st.size : 0 });
  }
  return out;
}

export function listFolder(ws: Workspace, t: Target): Entry[] {
  if (t.area === 'root') {
    return [{ name: 'input', type: 'folder', size: 0 }, { name: 'output', type: 'folder', size: 0 }];
  }
  const bases = t.area === 'input' ? [ws.input] : [ws.output, ws.outputs];
  const found = bases.map((base) => {
    try {
      return listFolderEntries(base, t.rel, t.shown);
    } catch (err) {
      // A file where a folder should be: say so below, unless the other folder has it.
      if (err instanceof ToolError && / is a file, not a folder$/.test(err.message)) return 'file' as const;
      throw err;
    }
  });
  const folders = found.filter((f): f is FolderEntry[] => Array.isArray(f));
  if (folders.length === 0) {
    if (t.rel === '') return [];
    if (found.includes('file') || bases.some((b) => entryStat(b, t.rel, t.shown))) throw new ToolError(`${t.shown} is a file, not a folder; read it with read_file`);
    throw new ToolError(`${t.shown} does not exist`);
  }
  // The job's own entries first: they win over the outputs folder's of the same name.
  const merged = new Map<string, Entry>();
  for (const list of folders) for (const [name, e] of entriesOf(list)) if (!merged.has(name)) merged.set(name, e);
  return [...merged.values()].sort((a, b) => (a.type === 'folder') === (b.type === 'folder') ? a.name.localeCompare(b.name) : a.type === 'folder' ? -1 : 1);
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** One line per entry: "receipts.csv  file  2.1 KB", "covers/  folder". */
export function formatEntries(entries: Entry[], max = 300): string {
  const lines = entries.slice(0, max).map((e) => (e.type === 'folder' ? `${e.name}/  folder` : `${e.name}  ${e.type}${e.type === 'file' ? `  ${formatSize(e.size)}` : ''}`));
  if (entries.length > max) lines.push(`... and ${entries.length - max} more`);
  return lines.join('\n');
}
