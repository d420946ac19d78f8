import { describe, expect, it } from 'vitest';
import { asText, compareFile, compareOutputs, parseCsv } from '../../src/program/compare.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const files = (o: Record<string, string | Buffer>): Map<string, Buffer> => new Map(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? b(v) : v]));

describe('parseCsv', () => {
  it('reads quoted cells with commas, doubled quotes and line breaks, and drops blank lines', () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n\n"multi\nline",2\n')).toEqual([['a', 'b, c', 'say "hi"'], ['multi\nline', '2']]);
  });
  it('keeps empty cells and a last row without a newline', () => {
    expect(parseCsv('x,,z\n1,2,')).toEqual([['x', '', 'z'], ['1', '2', '']]);
  });
});

describe('compareFile', () => {
  it('treats CSV cells as cells: quoting, spaces around cells and CRLF do not matter', () => {
    expect(compareFile('l.csv', b('number,total\nIBZY2087,1939.0\n'), b('"number", total\r\n"IBZY2087",1939.0'))).toBeUndefined();
  });
  it('says which row and column of a CSV differ', () => {
    expect(compareFile('l.csv', b('number,total\nA1,10\n'), b('number,total\nA1,11\n'))).toBe('l.csv: row 2, column 2: expected "10", got "11"');
    expect(compareFile('l.csv', b('n\nA\n'), b('n\nA\nB\n'))).toBe('l.csv: an extra row 3: "B"');
    expect(compareFile('l.csv', b('n\nA\nB\n'), b('n\nA\n'))).toBe('l.csv: row 3 is missing (expected "B")');
  });
  it('a CSV value is compared as text, not as a number', () => {
    expect(compareFile('l.csv', b('t\n1939.0\n'), b('t\n1939\n'))).toContain('row 2, column 1');
  });
  it('compares other text with whitespace normalised, and names the line that differs', () => {
    expect(compareFile('n.txt', b('Invoice  IBZY2087\n\n total: 1939\n'), b('Invoice IBZY2087\r\ntotal:\t1939'))).toBeUndefined();
    expect(compareFile('n.txt', b('a\nb\n'), b('a\nc\n'))).toBe('n.txt: line 2: expected "b", got "c"');
  });
  it('compares binary files byte for byte', () => {
    expect(compareFile('x.bin', Buffer.from([0, 1, 2]), Buffer.from([0, 1, 2]))).toBeUndefined();
    expect(compareFile('x.bin', Buffer.from([0, 1, 2]), Buffer.from([0, 1, 3]))).toBe('x.bin: the content differs (3 bytes expected, 3 written)');
    expect(asText(Buffer.from([0xff, 0xfe, 0x41]))).toBeUndefined();
  });
});

describe('compareOutputs', () => {
  it('is empty when the same files hold the same content', () => {
    expect(compareOutputs(files({ 'a.csv': 'x,y\n', 'sub/b.txt': 'hi' }), files({ 'sub/b.txt': 'hi\n', 'a.csv': 'x, y' }))).toEqual([]);
  });
  it('lists a missing file, an extra file and a changed one', () => {
    const d = compareOutputs(files({ 'a.csv': 'x\n1\n', 'b.txt': 'hi' }), files({ 'a.csv': 'x\n2\n', 'c.txt': 'new' }));
    expect(d.map((x) => x.what)).toEqual([
      'a.csv: row 2, column 1: expected "1", got "2"',
      'b.txt was not written',
      "c.txt was written, but the agent's job did not write it",
    ]);
  });
});
