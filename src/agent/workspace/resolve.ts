/**
 * Paths as the model writes them ("input/receipt.pdf", "output/receipts.csv"), checked before
 * anything touches the disk. Only `input/` and `output/` exist; `..`, absolute paths and links
 * that lead out of them are refused with an error the model can read and act on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ToolError } from '../../errors.js';

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

export function parseModelPath(raw: string, mode: 'read' | 'write'): Target {
  if (raw.includes('\0')) throw new ToolError('a path cannot contain a NUL character');
  const p = raw.trim().replace(/\\/g, '/');
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

/**
 * Checks every existing step of `rel` under `base`. Reading may follow a link that stays
 * inside `base`; writing never goes through a link at all, so a file can only ever be
 * created where it appears to be.
 */
export function checkLinks(base: string, rel: string, shown: string, mode: 'read' | 'write'): void {
  let realBase: string;
  try {
    realBase = fs.realpathSync(base);
  } catch {
    return; // the base does not exist (an outputs folder not made yet): nothing to follow
  }
  let at = base;
  for (const part of rel.split('/').filter(Boolean)) {
    at = path.join(at, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch {
      return; // from here on nothing exists, so nothing can be a link
    }
    if (!st.isSymbolicLink()) continue;
    if (mode === 'write') throw new ToolError(`${shown}: ${path.relative(base, at)} is a symbolic link; files are never written through links`);
    let real: string;
    try {
      real = fs.realpathSync(at);
    } catch {
      throw new ToolError(`${shown} is a symbolic link that leads nowhere`);
    }
    if (!isInside(realBase, real)) throw new ToolError(`${shown} is a symbolic link that leads outside the workspace; refused`);
  }
}
