/**
 * The README's `dropwork doctor` sample is a real run in the default layout (no DROPWORK_HOME)
 * for a person whose HOME is /home/ada: the home is ~/.config/dropwork and the files folder
 * ~/dropwork, as "Where things live" says (the sample once put the home in ~/dropwork). The
 * lines that do not depend on the machine (network, desktop, service manager, disk size) must
 * read as a real run here reads them, with this HOME for /home/ada.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO } from '../support/home.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-doctor-sample-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function sample(): string[] {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const at = readme.indexOf('$ dropwork doctor\n');
  return readme.slice(at, readme.indexOf('```', at)).trim().split('\n').slice(1);
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await promisify(execFile)(process.execPath, [CLI, ...args], { env })).stdout;
  } catch (err) {
    return (err as { stdout?: string }).stdout ?? ''; // doctor exits 1: no API key
  }
}

describe("the README's doctor sample", () => {
  it('is what doctor says in the default layout, home and files folder where "Where things live" puts them', async () => {
    const home = path.join(root, 'home', 'ada');
    fs.mkdirSync(home, { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, DROPWORK_NOTIFY: 'off', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' };
    for (const k of ['DROPWORK_HOME', 'DROPWORK_FILES', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'ANTHROPIC_API_KEY']) delete env[k];
    await run(['init'], env);
    const real = (await run(['doctor'], env)).trim().split('\n');
    const ours = sample().map((l) => l.replaceAll('/home/ada', home));
    const line = (lines: string[], title: string): string => lines.find((l) => l.includes(title)) ?? `(no ${title} line)`;
    const after = (lines: string[], title: string): string => lines[lines.indexOf(line(lines, title)) + 1] ?? '';

    expect(ours[0]).toBe(`dropwork doctor (home: ${path.join(home, '.config', 'dropwork')})`);
    expect(real[0]).toBe(ours[0]);
    for (const title of ['Rules', 'API key', 'Undo']) expect(line(real, title), title).toBe(line(ours, title));
    expect(after(real, 'API key')).toBe(after(ours, 'API key'));
    expect(after(ours, 'API key')).toContain(path.join(home, '.config', 'dropwork', 'credentials.env'));
    const folders = (l: string): string => /\(([^)]*)\)$/.exec(l)?.[1] ?? l;
    expect(folders(line(real, 'Disk space'))).toBe(folders(line(ours, 'Disk space')));
    expect(folders(line(ours, 'Disk space'))).toContain(path.join(home, 'dropwork', 'outputs'));
    const watched = (l: string): string => l.replace(/; limit \d+$/, '');
    expect(watched(line(real, 'Watch limit'))).toBe(watched(line(ours, 'Watch limit')));
  }, 120_000);
});
