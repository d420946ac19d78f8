/**
 * dropwork's temporary names (`.dropwork-*`) are never an agent's output: write_file refuses
 * them so the model can choose another name, and one a command leaves is reported, not
 * published; so the clean-up at the next start can never delete a job's output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeLeftoverTemps } from '../../src/publish/publish.js';
import { turn, type MessagesServer } from '../support/messages-server.js';
import { Harness, baseConfig, filesIn, makeHome, serve, writeKey, writeRule } from './helpers.js';

let server: MessagesServer | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

describe('reserved temporary names', () => {
  it('are refused by write_file, left unpublished when a command makes one, and outputs survive the start-up clean-up', async () => {
    const home = makeHome();
    server = await serve();
    baseConfig(home, server, { sandbox: 'bubblewrap' });
    writeKey(home);
    writeRule(home, { name: 'notes', watch: 'inbox/notes', output: 'outputs/notes', do: 'Write notes.' });
    server.script([
      turn.toolUse({ name: 'write_file', input: { path: 'output/.dropwork-0123456789ab.tmp', content: 'x' } }),
      {
        ...turn.toolUse({ name: 'run_command', input: { command: 'echo half > output/.dropwork-abcdefabcdef.tmp; echo ok > output/ok.txt', timeout_s: 30 } }),
        expect: (req) => expect(JSON.stringify(req.body.messages)).toContain('names starting with \\".dropwork-\\" are reserved'),
      },
      turn.text('Done.'),
    ]);
    h = new Harness(home);
    const file = path.join(home.dir, 'n.txt');
    fs.writeFileSync(file, 'notes');
    const job = await h.run('notes', file);
    expect(job.status).toBe('succeeded');
    expect(filesIn(home.outputs('notes'))).toEqual(['ok.txt']);
    expect(h.log(job.id, 'outputs').join('\n')).toMatch(/not published: output\/\.dropwork-abcdefabcdef\.tmp \(names starting with "\.dropwork-" are reserved/);
    expect(removeLeftoverTemps(home.outputs('notes'))).toBe(0);
    expect(JSON.parse(job.outputs)).toEqual([path.join(home.outputs('notes'), 'ok.txt')]);
  }, 60_000);
});
