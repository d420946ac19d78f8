// Small helpers for building pages from data: every text goes in as text, never as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export const STATUS_LABEL = {
  queued: 'Queued', running: 'Running', waiting: 'Waiting', succeeded: 'Done',
  failed: 'Failed', skipped: 'Skipped', cancelled: 'Cancelled', reverted: 'Reverted',
};

// How a job came to be, and what to call one without a file: the CLI's words (src/human.ts,
// checked equal by a test). A compile job is never a "scheduled run".
export const TRIGGER_WORDS = {
  watch: 'dropped into an inbox', schedule: 'a scheduled run', manual: 'run by hand',
  compile: 'writing a program from the rule\'s examples',
};
export const NO_FILE_WORDS = { watch: 'Dropped file', schedule: 'Scheduled run', manual: 'Run by hand', compile: 'Compile' };

/** The job's file name, or what the job is when it has no file. */
export function jobTitle(job) {
  return job.file ? baseName(job.file) : `${NO_FILE_WORDS[job.trigger] ?? 'Job'} of ${job.rule}`;
}

/** The jobs that have ended: only these "finished" and "took". */
export const FINAL = ['succeeded', 'failed', 'skipped', 'cancelled', 'reverted'];

/** "UTC+01:00": the page's times are the browser's own; the zone is said once per page. */
export function zoneName(t = Date.now()) {
  const off = -new Date(t).getTimezoneOffset();
  const pad = (n) => String(n).padStart(2, '0');
  return `UTC${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** "your approval", or for a viewer (who may not approve) "an approver's decision". */
export function waitingFor() {
  return document.body.dataset.role === 'viewer' ? 'an approver\'s decision' : 'your approval';
}

export function statusPill(status, held) {
  const label = held ? 'Needs approval' : STATUS_LABEL[status] ?? status;
  return h('span', { class: `pill ${held ? 'held' : status}` }, h('i'), label);
}

export const baseName = (p) => (p ? p.slice(p.lastIndexOf('/') + 1) : '');
export const dirName = (p) => (p ? p.slice(0, p.lastIndexOf('/')) || '/' : '');

export function fileUrl(path, download) {
  return `/api/files?path=${encodeURIComponent(path)}${download ? '&download=1' : ''}`;
}

export function absTime(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  const year = t.getFullYear() === new Date().getFullYear() ? undefined : 'numeric';
  return t.toLocaleString(undefined, { year, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

export function clock(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

export function relTime(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  const secs = (Date.now() - t.getTime()) / 1000;
  if (secs < 45) return 'just now';
  if (secs < 3600) return `${Math.round(secs / 60)} min ago`;
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const time = t.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  if (t >= today) return `today ${time}`;
  if (t >= new Date(today.getTime() - 86400000)) return `yesterday ${time}`;
  return t.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ` ${time}`;
}

export function duration(startIso, endIso) {
  if (!startIso) return '';
  const ms = (endIso ? new Date(endIso) : new Date()) - new Date(startIso);
  if (ms < 1000) return `${Math.max(0, ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60000);
  return m < 60 ? `${m} min ${Math.round((ms % 60000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function money(usd, always) {
  if (!usd && !always) return '—';
  if (!usd) return '$0.00';
  return usd < 0.1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

export const count = (n) => Number(n ?? 0).toLocaleString();

export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast ${kind}` }, message);
  box.append(el);
  setTimeout(() => el.classList.add('gone'), kind === 'error' ? 6000 : 3000);
  setTimeout(() => el.remove(), kind === 'error' ? 6500 : 3500);
}

export function emptyState(title, text) {
  return h('div', { class: 'empty' }, h('strong', null, title), h('p', null, text));
}
