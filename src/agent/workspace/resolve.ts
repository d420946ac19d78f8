/**
 * Paths as the model writes them ("input/receipt.pdf", "output/receipts.csv"), checked before
 * anything touches the disk. Only `input/` and `output/` exist; `..`, absolute paths and
 * control characters are refused with an error the model can read and act on. Links are
 * refused where the files are opened (src/nofollow.ts), at any step of the path.
 */
import path from 'node:path';
import { ToolError } from '../../errors.js';
import { clip } from '../../nofollow.js';

export type Area = 'input' | 'output';

export interface Target {
  /** `root` is the workspace itself: it holds just input/ and output/. */
  area: Area | 'root';
  /** '/'-separated path inside the area; '' for the area itself. */
  rel: string;
  /** How the model should see it in messages: "output/covers/a.md". */
  shown: string;
}

const HINT = 'paths are relative to the workspace, e.g. input/receipt.pdf or output/summary.md';

export function parseModelPath(whole: string, mode: 'read' | 'write'): Target {
  if (whole.includes('\0')) throw new ToolError('a path cannot contain a NUL character');
  if (/[\x01-\x1f\x7f]/.test(whole)) throw new ToolError('a path cannot contain a newline or another control character');
  if (whole.length > 4096) throw new ToolError(`a path of ${whole.length} characters is too long`);
  const raw = clip(whole);
  const p = whole.trim().replace(/\\/g, '/');
  if (p.startsWith('/') || p.startsWith('~') || /^[a-zA-Z]:/.test(p)) throw new ToolError(`"${raw}" is not inside the workspace: ${HINT}`);
  const norm = path.posix.normalize(p === '' ? '.' : p);
  if (norm === '..' || norm.startsWith('../')) throw new ToolError(`"${raw}" leads outside the workspace; ${HINT}`);
  const parts = norm.split('/').filter((s) => s !== '' && s !== '.');
  const [area, ...rest] = parts;
  if (area === undefined) {
    if (mode === 'write') throw new ToolError(`write into output/, e.g. output/summary.md`);
    return { area: 'root', rel: '', shown: '.' };
  }
  if (area !== 'input' && area !== 'output') throw new ToolError(`"${raw}": the workspace has only input/ and output/; ${HINT}`);
  if (mode === 'write' && area === 'input') throw new ToolError(`"${raw}": input/ is read-only; write into output/`);
  if (mode === 'write' && rest.length === 0) throw new ToolError(`"${raw}" is a folder; give a file name inside it`);
  const rel = rest.join('/');
  return { area, rel, shown: rel ? `${area}/${rel}` : `${area}/` };
}

export function isInside(base: string, p: string): boolean {
  const r = path.relative(base, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}
