/**
 * `dropwork users` and who the command line says did things, through the built CLI against a
 * real home (no daemon: everything lives in the database).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/users/secret.js';
import { homePerTest, PLAIN_AND_HELD } from '../approve/helpers.js';

const openHome = homePerTest(PLAIN_AND_HELD);

const LINK = /^ {2}(http:\/\/\S+)$/m;

function linkOf(stdout: string): { link: string; secret: string } {
  const link = LINK.exec(stdout)?.[1];
  if (!link) throw new Error(`no link in:\n${stdout}`);
  return { link, secret: new URL(link).searchParams.get('token') ?? '' };
}

describe('dropwork users', () => {
  it('adds a person with a sign-in link at the dashboard\'s address, stores only its hash, and lists people without links', async () => {
    const home = openHome();
    fs.writeFileSync(home.paths.configFile, 'host: 192.0.2.10\nport: 7799\n');
    const empty = await home.cli('users', 'list');
    expect(empty.stdout).toContain('no users');

    const added = await home.cli('users', 'add', 'ana');
    expect(added.code, added.stderr).toBe(0);
    const { link, secret } = linkOf(added.stdout);
    expect(link).toMatch(/^http:\/\/192\.0\.2\.10:7799\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(added.stdout).toContain('Added ana (approver'); // the default role
    expect(added.stdout).not.toContain('note:'); // reachable from the network: no warning

    const viewer = await home.cli('users', 'add', 'vera', '--role', 'viewer', '--json');
    expect(JSON.parse(viewer.stdout)).toMatchObject({ name: 'vera', role: 'viewer', link: expect.stringMatching(/^http:\/\/192\.0\.2\.10:7799\//) });

    const db = fs.readFileSync(home.paths.dbFile).toString('latin1') + (fs.existsSync(`${home.paths.dbFile}-wal`) ? fs.readFileSync(`${home.paths.dbFile}-wal`).toString('latin1') : '');
    expect(db).not.toContain(secret);
    expect(home.store.users.bySecretHash(hashSecret(secret))?.name).toBe('ana');

    const list = await home.cli('users', 'list');
    expect(list.stdout).toMatch(/^NAME\s+ROLE/);
    expect(list.stdout).toMatch(/ana\s+approver/);
    expect(list.stdout).toMatch(/vera\s+viewer/);
    expect(list.stdout).not.toContain(secret);
    const json = JSON.parse((await home.cli('users', 'list', '--json')).stdout) as Record<string, unknown>[];
    expect(json.map((u) => [u.name, u.role])).toEqual([['ana', 'approver'], ['vera', 'viewer']]);
    expect(JSON.stringify(json)).not.toContain('token');

    const twice = await home.cli('users', 'add', 'ana', '--role', 'admin');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('ana is already a user');
    const bad = await home.cli('users', 'add', 'otto', '--role', 'owner');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"owner" is not a role: say viewer, approver, admin');
  });

  it('says when the link only works on this machine (host 127.0.0.1)', async () => {
    const home = openHome();
    const added = await home.cli('users', 'add', 'ana', '--role', 'admin');
    expect(linkOf(added.stdout).link).toMatch(/^http:\/\/127\.0\.0\.1:7717\/\?token=/);
    expect(added.stdout).toContain('note: the dashboard listens on 127.0.0.1 (this machine only)');
  });

  it('link makes a new secret and the old one stops working; role changes it; remove ends it', async () => {
    const home = openHome();
    const first = linkOf((await home.cli('users', 'add', 'ana')).stdout).secret;
    const relinked = await home.cli('users', 'link', 'ana');
    expect(relinked.code).toBe(0);
    const second = linkOf(relinked.stdout).secret;
    expect(second).not.toBe(first);
    expect(relinked.stdout).toContain('the old link, and every browser signed in with it, no longer works');
    expect(home.store.users.bySecretHash(hashSecret(first))).toBeUndefined();
    expect(home.store.users.bySecretHash(hashSecret(second))?.name).toBe('ana');

    expect((await home.cli('users', 'role', 'ana', 'viewer')).stdout).toContain('ana is now a viewer');
    expect(home.store.users.get('ana')?.role).toBe('viewer');

    const removed = await home.cli('users', 'remove', 'ana');
    expect(removed.stdout).toContain('removed ana');
    expect(removed.stdout).toContain('no users are left');
    expect(home.store.users.bySecretHash(hashSecret(second))).toBeUndefined();
    expect((await home.cli('users', 'list', '--json')).stdout.trim()).toBe('[]');
    for (const args of [['link', 'ana'], ['remove', 'ana'], ['role', 'ana', 'admin']]) {
      const r = await home.cli('users', ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('no user ana');
    }
  });
});

describe('who the command line says did it', () => {
  it('records the login name, or --by, on retry, cancel, approve and deny', async () => {
    const home = openHome();
    const login = os.userInfo().username;
    const plain = await home.run('plain', 'inbox/plain/a.txt', 'a');
    expect((await home.cli('jobs', 'revert', String(plain.id))).code).toBe(0);
    const queued = home.store.enqueue({ rule: 'plain', file: path.join(home.paths.home, 'inbox/plain/q.txt'), sha256: 'q', trigger: 'manual', dedupe: false });
    if (!queued) throw new Error('not queued');
    expect((await home.cli('jobs', 'cancel', String(queued.id), '--by', 'Ana Lima'))).toMatchObject({ code: 0 });
    expect((await home.cli('jobs', 'retry', String(queued.id))).code).toBe(0);
    const held = await home.run('held', 'inbox/held/b.txt', 'b');
    expect((await home.cli('jobs', 'approve', String(held.id), '--by', 'bo')).code).toBe(0);
    const other = await home.run('held', 'inbox/held/c.txt', 'c');
    expect((await home.cli('jobs', 'deny', String(other.id), '--reason', 'not ours')).code).toBe(0);

    const steps = (id: number): { kind: string; message: string; data: unknown }[] =>
      home.store.logs(id).map((e) => ({ kind: e.kind, message: e.message, data: e.data === null ? null : JSON.parse(e.data) as unknown }));
    expect(steps(plain.id)).toEqual(expect.arrayContaining([
      { kind: 'reverted', message: `reverted by ${login} from the command line`, data: { by: login } },
    ]));
    expect(steps(queued.id)).toEqual(expect.arrayContaining([
      { kind: 'retry', message: `queued again by ${login} from the command line`, data: { by: login } },
      { kind: 'cancelled', message: 'cancelled by Ana Lima from the command line', data: { by: 'Ana Lima' } },
    ]));
    expect(steps(held.id)).toContainEqual({ kind: 'approved', message: 'approved by bo from the command line', data: { by: 'bo' } });
    expect(steps(other.id)).toContainEqual({ kind: 'denied', message: `denied: not ours (by ${login} from the command line); its staged outputs were discarded`, data: { by: login } });

    const empty = await home.cli('jobs', 'cancel', String(queued.id), '--by', ' ');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('--by cannot be empty');
  });
});
