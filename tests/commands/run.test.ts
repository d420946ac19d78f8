/**
 * `dropwork run FILE --rule NAME` as a person types it (the built CLI): a file the rule's
 * `files:` would never take is refused with the reason, and --force runs it anyway (issue 19).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, makeHome, type TestHome } from '../support/home.js';

let home: TestHome;
afterEach(() => home.cleanup());

describe('dropwork run FILE --rule NAME', () => {
  it("refuses a file the rule's files: would not take, saying why; --force runs it anyway", async () => {
    home = makeHome({ rules: { 'scans.yaml': 'name: scans\nwatch: inbox/scans\nfiles: ["*.pdf", "*.png"]\nactions: [{copy: "."}]\n' } });
    const photo = path.join(home.root, 'holiday.jpg');
    fs.writeFileSync(photo, 'jpeg');
    const refused = await cli(home, ['run', photo, '--rule', 'scans']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('dropwork: rule "scans" would not take holiday.jpg: its name matches none of the rule\'s files: *.pdf, *.png; add --force to run it anyway\n');
    expect(JSON.parse((await cli(home, ['jobs', '--json'])).stdout)).toEqual([]);

    const forced = await cli(home, ['run', photo, '--rule', 'scans', '--force', '--wait']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('rule "scans" would not take holiday.jpg (its name matches none of the rule\'s files: *.pdf, *.png); running it anyway, as --force says');
    expect(fs.readFileSync(path.join(home.output('scans'), 'holiday.jpg'), 'utf8')).toBe('jpeg');

    // A file it does take runs from anywhere, as before; so does a hidden one only with --force.
    const scan = path.join(home.root, 'page.pdf');
    fs.writeFileSync(scan, 'pdf');
    expect((await cli(home, ['run', scan, '--rule', 'scans', '--wait'])).code).toBe(0);
    const hidden = path.join(home.root, '.page.pdf');
    fs.writeFileSync(hidden, 'pdf');
    expect((await cli(home, ['run', hidden, '--rule', 'scans'])).stderr).toContain('".page.pdf" is a hidden, temporary or partial file, which the rule never takes; add --force');
  }, 120_000);
});
