import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { redact } from '../src/redact.js';

describe('the log', () => {
  it('writes JSON lines and rotates by size, keeping a few old files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-log-'));
    const log = createLogger({ dir, maxBytes: 2000, keep: 2 });
    for (let i = 0; i < 100; i++) log.info('a job finished', { job: i });
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['dropwork.log', 'dropwork.log.1', 'dropwork.log.2']);
    const last = fs.readFileSync(path.join(dir, 'dropwork.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; job: number; level: string });
    expect(last.at(-1)).toMatchObject({ msg: 'a job finished', job: 99, level: 'info' });
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(2000);
  });

  it('rotates by bytes on disk, not characters, for lines that are not ASCII', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-log-'));
    // Every line has the same length: three bytes a character in the name, a two-digit number.
    const name = '領収書'.repeat(13);
    const sample = JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'published', file: `${name}-00` }) + '\n';
    const bytes = Buffer.byteLength(sample);
    const chars = sample.length;
    expect(bytes - chars).toBe(78);
    // Room for ten lines plus a line counted in characters: counting characters would let an
    // eleventh line in and the file would pass the limit.
    const maxBytes = 10 * bytes + chars;
    const log = createLogger({ dir, maxBytes, keep: 3 });
    for (let i = 0; i < 30; i++) log.info('published', { file: `${name}-${String(i).padStart(2, '0')}` });
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['dropwork.log', 'dropwork.log.1', 'dropwork.log.2']);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size, f).toBe(10 * bytes);
  });

  it('never writes an API key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-log-'));
    const key = 'sk-ant-api03-' + 'x'.repeat(40);
    createLogger({ dir }).error(`request failed with key ${key}`, { header: key });
    expect(fs.readFileSync(path.join(dir, 'dropwork.log'), 'utf8')).not.toContain(key);
    expect(redact('token=abcdefghij123', { ANTHROPIC_AUTH_TOKEN: 'abcdefghij123' })).toBe('token=…redacted');
  });
});
