import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCredentials } from '../src/agent/credentials.js';
import { formatEnvLine, parseEnv } from '../src/env-file.js';
import { setUpCredentials } from '../src/service/credentials.js';

const TRICKY = [
  '',
  'sk-ant-api03-plain_value-0123',
  'with space',
  '  leading and trailing  ',
  'a"quote',
  '"fully quoted"',
  "'single'",
  'back\\slash',
  'ends with backslash\\',
  'back\\"slash quote',
  'literal \\n not a newline',
  'hash#inside',
  'space # comment-like',
  '#starts with hash',
  'a=b=c',
  'line one\nline two',
  'carriage\r\nreturn',
  'tab\there',
  'dollar $HOME and ${X}',
  'unicode ✓ 領収書',
  'export NOT=a line',
];

describe('.env files', () => {
  it('reads back every value the writer wrote, one line each', () => {
    const text = TRICKY.map((v, i) => formatEnvLine(`V${i}`, v)).join('\n') + '\n';
    expect(text.split('\n')).toHaveLength(TRICKY.length + 1);
    const back = parseEnv(text);
    TRICKY.forEach((v, i) => expect(back[`V${i}`], JSON.stringify(v)).toBe(v));
  });

  it('reads what people write by hand', () => {
    expect(parseEnv([
      '# a comment',
      'export A=1',
      '  B = two  ',
      'C="x \\" y \\\\ z"',
      "D='no \\escapes \"here\"'",
      'E=value # a comment',
      'F="quoted" # a comment',
      'G=abc#def',
      'not a line',
      '9BAD=x',
      'H="unterminated',
      'I=a\\"b',
    ].join('\r\n'))).toEqual({ A: '1', B: 'two', C: 'x " y \\ z', D: 'no \\escapes "here"', E: 'value', F: 'quoted', G: 'abc#def', H: '"unterminated', I: 'a\\"b' });
  });

  it('refuses a name that is not a variable name', () => {
    expect(() => formatEnvLine('A B', 'x')).toThrow(/cannot be a variable name/);
    expect(() => formatEnvLine('1A', 'x')).toThrow(/cannot be a variable name/);
  });

  it('the service installer writes a key with quotes and backslashes that the agent reads back as it was', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-envfile-'));
    try {
      const key = 'sk-ant-"odd\\key" #1';
      const r = setUpCredentials(home, { ANTHROPIC_API_KEY: key });
      expect(r.copied).toEqual(['ANTHROPIC_API_KEY']);
      expect(findCredentials(home, {})).toMatchObject({ kind: 'apiKey', value: key, source: 'credentials.env' });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
