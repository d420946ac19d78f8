import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { ToolError } from '../../errors.js';
import { openFilePath, type OpenedFile } from '../../nofollow-files.js';
import { isInside } from '../../rules/match.js';
import { heldPayload } from '../../run/approval.js';
import { jobDir } from '../../run/execute.js';
import type { WebDeps } from '../deps.js';
import { BASE_HEADERS, HttpError } from '../http.js';
import { tokenFile } from '../token.js';
import { jobRow } from './jobs.js';

/**
 * Types a browser may show in place: images and text (as plain text). Everything else, PDFs,
 * HTML and SVG included, downloads: a PDF cannot be shown under a sandboxing CSP (Chromium's
 * viewer refuses sandboxed documents), and shown without one it is someone else's active
 * content in the dashboard's origin.
 */
const INLINE: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8', '.csv': 'text/plain; charset=utf-8',
  '.json': 'text/plain; charset=utf-8', '.log': 'text/plain; charset=utf-8', '.yaml': 'text/plain; charset=utf-8', '.yml': 'text/plain; charset=utf-8',
};
/** Downloads that keep their type, so the browser saves them under the right kind. */
const DOWNLOAD: Record<string, string> = { '.pdf': 'application/pdf' };

function realOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/** The folders a download may come from: every rule's outputs folder and inboxes, as real paths. */
function allowedFolders(deps: WebDeps): string[] {
  const folders = deps.ruleSet().list().flatMap((r) => [r.output, ...r.watch, ...(r.input ? [r.input] : [])]);
  return [...new Set(folders.map(realOrUndefined).filter((f): f is string => f !== undefined))];
}

/** The inboxes and scheduled-rule input folders, as real paths: files people drop, not files dropwork made. */
function inboxFolders(deps: WebDeps): string[] {
  const folders = deps.ruleSet().list().flatMap((r) => [...r.watch, ...(r.input ? [r.input] : [])]);
  return folders.map(realOrUndefined).filter((f): f is string => f !== undefined);
}

/** dropwork's own files, never served even when an inbox is set up around them. */
function isPrivate(deps: WebDeps, real: string): boolean {
  const p = deps.paths;
  const files = [tokenFile(p), p.dbFile, `${p.dbFile}-wal`, `${p.dbFile}-shm`, p.configFile, p.pidFile, path.join(p.home, 'credentials.env')];
  const folders = [p.logsDir, p.jobsDir, p.rulesDir];
  const realFiles = files.map((f) => realOrUndefined(f) ?? f);
  return realFiles.includes(real) || folders.some((f) => isInside(real, realOrUndefined(f) ?? f)) || path.basename(real) === 'credentials.env';
}

/**
 * GET /api/files?path=ABS: a file from an outputs folder or an inbox, nothing else. A path
 * with a `..` part is refused outright; the rest is judged by its real path, so a symlink in
 * an inbox that points elsewhere is refused too.
 */
export function serveFile(deps: WebDeps, res: ServerResponse, url: URL): void {
  const raw = url.searchParams.get('path') ?? '';
  if (!raw || !path.isAbsolute(raw)) throw new HttpError(400, 'give the file as ?path=/absolute/path');
  if (raw.split(/[\\/]+/).includes('..') || raw.includes('\0')) throw new HttpError(403, 'refused: a path with ".." in it');
  const real = realOrUndefined(raw);
  if (!real) throw new HttpError(404, `${raw} is not there (it may have been moved or removed)`);
  const inside = allowedFolders(deps).some((f) => isInside(real, f));
  if (!inside || isPrivate(deps, real)) throw new HttpError(403, 'refused: the dashboard serves files from outputs folders and inboxes only');
  // The real path was judged; what is sent is that path opened from `/` following no link at
  // all: a folder flipped against a link since the check is refused, never served through.
  const opened = openReal(real);
  try {
    // A hard link in an inbox is one name of a file that may live anywhere (a key, the database):
    // only what the rule's folders own is served, and a file with other names is not that.
    if (inboxFolders(deps).some((f) => isInside(real, f)) && opened.st.nlink > 1) {
      throw new HttpError(403, 'refused: this inbox file has other hard links, so it may be a file from elsewhere; the dashboard serves only what the rule folders own');
    }
  } catch (err) {
    opened.close();
    throw err;
  }
  sendOpened(res, opened, path.basename(raw), url.searchParams.has('download'));
}

function openReal(real: string): OpenedFile {
  let opened: OpenedFile | undefined;
  try {
    opened = openFilePath(real, { links: 'none' });
  } catch (err) {
    if (err instanceof ToolError) throw new HttpError(403, `refused: ${err.message}`);
    throw err;
  }
  if (!opened) throw new HttpError(404, `${real} is not there (it may have been moved or removed)`);
  return opened;
}

/** GET /api/jobs/ID/staged/N: a held job's output before it is published, to look at first. */
export function serveStaged(deps: WebDeps, res: ServerResponse, rawId: string | undefined, rawIndex: string | undefined, url: URL): void {
  const row = jobRow(deps, rawId);
  const held = heldPayload(row);
  if (!held) throw new HttpError(409, `job ${row.id} is not awaiting approval`);
  const staged = held.staged[Number(rawIndex)];
  if (!staged || !/^\d+$/.test(rawIndex ?? '')) throw new HttpError(404, `job ${row.id} has no output ${rawIndex ?? ''}`);
  // Only ever from this job's own folder, whatever the payload says.
  const real = realOrUndefined(staged.source);
  const folder = realOrUndefined(jobDir(deps.paths.jobsDir, row.id));
  if (!real || !folder || !isInside(real, folder)) throw new HttpError(404, 'the staged file is gone');
  sendOpened(res, openReal(real), path.basename(staged.dest), url.searchParams.has('download'));
}

/** Sends the file as opened (its descriptor), closing it once sent or on a failure. */
function sendOpened(res: ServerResponse, opened: OpenedFile, name: string, download: boolean): void {
  const { st } = opened;
  const ext = path.extname(name).toLowerCase();
  const type = INLINE[ext];
  const disposition = download || !type ? 'attachment' : 'inline';
  res.writeHead(200, {
    ...BASE_HEADERS,
    'Content-Type': type ?? DOWNLOAD[ext] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Content-Disposition': `${disposition}; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'Cache-Control': 'no-store',
    // A file from an inbox or an agent is someone else's content: it must never run as the
    // dashboard, shown or opened after download from the dashboard's address.
    'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
  });
  const stream = fs.createReadStream('', { fd: opened.fd, autoClose: false, start: 0, end: Math.max(0, st.size - 1) });
  const close = (): void => { try { opened.close(); } catch { /* closed already */ } };
  stream.on('close', close);
  stream.on('error', close);
  if (st.size === 0) { stream.destroy(); res.end(); return; }
  stream.pipe(res);
}
