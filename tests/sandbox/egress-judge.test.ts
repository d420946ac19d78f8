/**
 * The allowlist's words and the proxy's decision, with the real proxy on a real Unix socket:
 * what an entry means, and that a name resolving to an inside address (rebinding, a cloud's
 * metadata service) is refused unless that address is named too.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { describeNetwork, findEntry, parseAllowEntry, parseAllowlist } from '../../src/sandbox/egress/allowlist.js';
import { judge } from '../../src/sandbox/egress/judge.js';
import { JobEgress } from '../../src/sandbox/egress/job.js';
import type { ConnectionRecord } from '../../src/sandbox/egress/proxy.js';

describe('allowlist entries', () => {
  test('a host means ports 80 and 443; a port narrows it; *. means subdomains only', () => {
    const list = parseAllowlist(['api.notion.com', '*.example.org:443', '127.0.0.1:8080', '[::1]:9000']);
    expect(findEntry(list, 'api.notion.com', 443)?.text).toBe('api.notion.com');
    expect(findEntry(list, 'API.Notion.com.', 80)?.text).toBe('api.notion.com');
    expect(findEntry(list, 'api.notion.com', 8443)).toBeUndefined();
    expect(findEntry(list, 'evil-api.notion.com', 443)).toBeUndefined();
    expect(findEntry(list, 'files.example.org', 443)?.text).toBe('*.example.org:443');
    expect(findEntry(list, 'example.org', 443)).toBeUndefined();
    expect(findEntry(list, 'files.example.org.evil.example', 443)).toBeUndefined();
    expect(findEntry(list, '127.0.0.1', 8080)?.text).toBe('127.0.0.1:8080');
    expect(findEntry(list, '::ffff:127.0.0.1', 8080)?.text).toBe('127.0.0.1:8080');
    expect(findEntry(list, '::1', 9000)?.text).toBe('[::1]:9000');
  });

  test('entries that would grant too much, or are not hosts, say why', () => {
    expect(parseAllowEntry('*')).toMatch(/use `network: true`/);
    expect(parseAllowEntry('https://api.notion.com/v1')).toBe('is a host name, not a URL: write "api.notion.com"');
    expect(parseAllowEntry('*.com')).toMatch(/whole top-level domain/);
    expect(parseAllowEntry('api.*.com')).toMatch(/only as its first label/);
    expect(parseAllowEntry('api.notion.com:99999')).toMatch(/a port is 1 to 65535/);
    expect(parseAllowEntry('bad host')).toMatch(/is not a host name/);
  });

  test('rules check and the dashboard name each kind of network', () => {
    expect(describeNetwork(true)).toBe('network: all (no allowlist: every host and port)');
    expect(describeNetwork(false)).toBe('network: none');
    expect(describeNetwork({ allow: ['api.notion.com'] })).toBe('network: only api.notion.com');
  });
});

describe('the proxy\'s decision', () => {
  const lookupTo = (address: string) => async () => [address];

  test('a named host resolving to an inside address is refused unless that address is named', async () => {
    const list = parseAllowlist(['api.example.org']);
    expect(await judge(list, 'api.example.org', 443, lookupTo('93.184.216.34'))).toEqual({ allowed: true, address: '93.184.216.34', entry: 'api.example.org' });
    expect(await judge(list, 'api.example.org', 443, lookupTo('169.254.169.254'))).toMatchObject({
      allowed: false, reason: 'api.example.org resolves to 169.254.169.254, a loopback, private, link-local or multicast address: name 169.254.169.254:443 in the allowlist to allow it',
    });
    expect(await judge(list, 'api.example.org', 443, lookupTo('10.1.2.3'))).toMatchObject({ allowed: false });
    expect(await judge(list, 'api.example.org', 443, lookupTo('::1'))).toMatchObject({ allowed: false });
    expect(await judge(parseAllowlist(['api.example.org', '10.1.2.3:443']), 'api.example.org', 443, lookupTo('10.1.2.3'))).toMatchObject({ allowed: true, address: '10.1.2.3' });
    expect(await judge(list, 'api.example.org', 443, async () => { throw new Error('ENOTFOUND'); })).toMatchObject({ allowed: false, reason: 'api.example.org could not be resolved (ENOTFOUND)' });
  });

  test('a request for the proxy itself, or anything but a forward, is refused and recorded', async () => {
    const records: ConnectionRecord[] = [];
    const egress = await JobEgress.open({ allow: ['127.0.0.1:9'], onConnection: (r) => records.push(r) });
    try {
      const ask = (text: string): Promise<string> => new Promise((resolve) => {
        let got = '';
        const s = net.connect(path.join(egress.dir, 'proxy.sock'), () => s.write(text));
        s.on('data', (c: Buffer) => { got += c.toString(); }).on('close', () => resolve(got)).on('error', () => resolve(got));
      });
      expect(await ask('GET /stats HTTP/1.1\r\nHost: 127.0.0.1:3128\r\n\r\n')).toMatch(/^HTTP\/1.1 400 blocked: a request for the proxy itself: this is the sandbox's egress proxy/);
      expect(await ask('GET https://127.0.0.1:9/ HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1.1 400 blocked:/);
      expect(await ask(`GET http://x/ HTTP/1.1\r\n${'a'.repeat(40_000)}`)).toMatch(/^HTTP\/1.1 431 blocked: request head too large/);
      expect(records.map((r) => r.allowed)).toEqual([false, false, false]);
      expect(records[0]).toMatchObject({ host: '(this proxy)', reason: expect.stringContaining('a request for the proxy itself') });
      expect((await fs.stat(egress.dir)).mode & 0o777).toBe(0o700);
      expect(path.dirname(egress.dir)).toBe(os.tmpdir());
    } finally {
      await egress.close();
    }
    await expect(fs.stat(egress.dir)).rejects.toThrow(/ENOENT/);
  });
});
