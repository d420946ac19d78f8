/**
 * `dropwork rules program NAME` in the default layout (no DROPWORK_HOME: settings under
 * ~/.config/dropwork, inboxes and outputs under ~/dropwork), through the built CLI. It loaded the
 * rules with relative folders from the home, not the files folder, so the rule's task hash was
 * not the daemon's: "no program yet" and "no program waiting" while status showed v1 suggested.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/paths.js';
import { programsOf } from '../../src/program/store.js';
import { Store } from '../../src/queue/store.js';
import { cli, makeHome, type TestHome } from '../support/home.js';
import { seedProgram } from './seed.js';

let home: TestHome;
afterEach(() => home.cleanup());

describe('dropwork rules program, default layout', () => {
  it('shows the suggested program and approves it; a rule that does not exist is refused', async () => {
    home = makeHome();
    delete home.env.DROPWORK_HOME;
    delete home.env.XDG_CONFIG_HOME;
    delete home.env.XDG_DATA_HOME;
    const paths = resolvePaths(home.env, 'linux');
    expect(paths.files).not.toBe(paths.home);
    fs.mkdirSync(paths.rulesDir, { recursive: true });
    fs.writeFileSync(path.join(paths.rulesDir, 'ledger.yaml'), 'name: ledger\nwatch: inbox/ledger\noutput: outputs/ledger\ndo: Add one row invoice_number,total to ledger.csv.\n');
    seedProgram(paths, 'print("hi")\n', 'ledger', 'suggested');

    const shown = await cli(home, ['rules', 'program', 'ledger']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('ledger: program v1, suggested');
    expect(shown.stdout).toContain('print("hi")');
    const approved = await cli(home, ['rules', 'program', 'ledger', '--approve', '--by', 'ana']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe('ledger: program v1 approved; new files run it, without the model\n');
    const store = new Store(paths.dbFile);
    try {
      expect(programsOf(store.db, 'ledger')[0]).toMatchObject({ status: 'approved', approvedBy: 'by ana from the command line' });
    } finally {
      store.close();
    }
    const typo = await cli(home, ['rules', 'program', 'ledgr']);
    expect(typo).toMatchObject({ code: 1, stderr: 'dropwork: no rule named "ledgr" (did you mean "ledger"?); rules: ledger\n' });
  }, 120_000);
});
