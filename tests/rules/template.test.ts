import { describe, expect, it } from 'vitest';
import { globMatches } from '../../src/rules/glob.js';
import { checkTemplate, renderTemplate } from '../../src/rules/template.js';

const vars = {
  name: 'IMG_0042', ext: '.JPG', rule: 'photos', sha256: 'abcdef0123456789'.repeat(4),
  modified: new Date(2024, 1, 29, 7, 5, 9), created: new Date(2023, 11, 31), now: new Date(2026, 10, 21),
};

describe('templates', () => {
  it('renders every placeholder', () => {
    expect(renderTemplate('{modified:YYYY}/{modified:MM}/{name}{ext}', vars)).toBe('2024/02/IMG_0042.JPG');
    expect(renderTemplate('{rule}-{sha8}-{date}-{created:YY.MM.DD}-{modified:HH_mm_ss}', vars)).toBe('photos-abcdef01-2026-11-21-23.12.31-07_05_09');
  });

  it('explains what is wrong with a template', () => {
    expect(checkTemplate('{nmae}')).toMatch(/unknown placeholder \{nmae\}/);
    expect(checkTemplate('{name:YYYY}')).toBe('{name} takes no format');
    expect(checkTemplate('{date:YYYY-Month}')).toMatch(/may only use YYYY/);
    expect(checkTemplate('{name')).toBe('has an unclosed or stray brace');
    expect(checkTemplate('../{name}')).toMatch(/may not climb out/);
    expect(checkTemplate('{modified:YYYY}/{name}{ext}')).toBeUndefined();
  });
});

describe('globs', () => {
  it('match names case-insensitively, paths when they have a slash', () => {
    expect(globMatches('*.pdf', 'Scan.PDF')).toBe(true);
    expect(globMatches('*.pdf', 'sub/Scan.pdf')).toBe(true);
    expect(globMatches('*.pdf', 'scan.pdf.part')).toBe(false);
    expect(globMatches('scan-*.{jpg,png}', 'SCAN-1.png')).toBe(true);
    expect(globMatches('scan-*.{jpg,png}', 'scan-1.gif')).toBe(false);
    expect(globMatches('2024/**/*.jpg', '2024/a/b/c.jpg')).toBe(true);
    expect(globMatches('2024/**/*.jpg', '2024/c.jpg')).toBe(true);
    expect(globMatches('2024/*.jpg', '2024/a/c.jpg')).toBe(false);
    expect(globMatches('file?.txt', 'file1.txt')).toBe(true);
    expect(globMatches('[!a]*.txt', 'abc.txt')).toBe(false);
    expect(globMatches('(x).txt', '(x).txt')).toBe(true);
  });
});
