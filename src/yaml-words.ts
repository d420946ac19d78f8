import type { YAMLError } from 'yaml';
import type { Refusal } from './yaml-guard.js';

/**
 * YAML's complaints in the words of someone who edits a rule file, not a YAML parser. Each
 * message says what to change; the parser's own words follow in brackets for the rare reader
 * who wants them.
 */

const KEY_LINE = /^(\s*(?:-\s+)?)([^\s:#'"][^:#]*?):(?:\s+|$)(.*)$/;

/** `lineText` is the line the error points at, `nextLine` the one after it. */
export function explainYamlError(error: YAMLError, lineText: string, nextLine: string, col: number): string {
  const raw = error.message.split('\n')[0] ?? error.message;
  const said = (words: string): string => `${words} [YAML: ${raw}]`;
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return said('this line is indented with a tab: indent with spaces instead (YAML does not accept tabs)');
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return said(colonOrIndent(lineText, nextLine));
    case 'DUPLICATE_KEY': {
      const key = KEY_LINE.exec(lineText)?.[2]?.trim();
      return said(`${key ? `"${key}"` : 'this key'} appears twice in the same place; keep one of them`);
    }
    case 'BAD_INDENT':
      if (/Flow (sequence|mapping)/.test(raw)) return said(`a ${raw.includes('sequence') ? '[' : '{'} opened on this line or above is not closed: add the ${raw.includes('sequence') ? ']' : '}'} (or indent this line more)`);
      return said('items at the same level must start in the same column: check the spaces at the start of this line');
    case 'MISSING_CHAR':
      if (/quote/.test(raw)) return said('a quote opened here is not closed: add the closing quote at the end of the value');
      if (/between flow/.test(raw)) return said('items inside [ ] or { } must be separated by commas');
      if (/followed by map values/.test(raw)) return said('expected "key: value" here: add the colon, or remove this line');
      if (/Sequence item without - indicator/.test(raw)) return said(listItemIndent(lineText));
      return said('something is missing here (a closing quote, bracket or colon)');
    case 'BAD_DQ_ESCAPE':
      return said('inside "double quotes" a backslash starts a special character: use single quotes (\'C:\\Users\\me\') or forward slashes');
    case 'BAD_SCALAR_START': {
      const ch = lineText[col - 1] ?? raw.slice(-1);
      return said(`a value cannot start with ${ch}: put the value in quotes, e.g. ${quoteFix(lineText, col)}`);
    }
    case 'UNEXPECTED_TOKEN':
      if (/scalar at node end/.test(raw)) return said('there is more text after a closing quote: put the whole value in quotes, or remove the extra text');
      return said('YAML cannot make sense of this line: check its indentation and that it is "key: value" or "- item"');
    case 'KEY_OVER_1024_CHARS':
      return said('this line is too long to be a key: is the colon after the key missing or misplaced?');
    case 'MULTIPLE_ANCHORS':
    case 'MULTIPLE_TAGS':
    case 'ALIAS_PROPS':
    case 'BAD_ALIAS':
      return said(`& ! and * at the start of a value mean something special in YAML: put the value in quotes, e.g. ${quoteFix(lineText, col)}`);
    case 'BLOCK_IN_FLOW':
      return said('a "- item" list cannot go inside [ ]: write the list either as [a, b] or as lines starting with "- "');
    case 'MULTIPLE_DOCS':
    case 'BAD_DIRECTIVE':
      return said('a line starting with % or --- splits the file in an unexpected way: remove it or put it in quotes');
    default:
      if (/call stack/i.test(raw)) return said(`nested too deeply to read`);
      return said('YAML cannot read this line: check its indentation and quotes');
  }
}

/**
 * A colon inside plain text, or a line indented under a value: both look the same to YAML.
 * A "key" with spaces in it ("and then: call Bob") is prose with a colon; a single word
 * ("watch: inbox") is a key that is indented wrongly.
 */
function colonOrIndent(lineText: string, nextLine: string): string {
  const here = KEY_LINE.exec(lineText);
  const next = KEY_LINE.exec(nextLine);
  const prose = (m: RegExpExecArray | null, line: string): boolean =>
    m ? /\s/.test((m[2] ?? '').trim()) || /:(\s|$)/.test(m[3] ?? '') : /:(\s|$)/.test(line);
  const nextContinues = indentOf(nextLine) > indentOf(lineText) && nextLine.trim() !== '';
  if (prose(here, lineText) || (indentOf(nextLine) >= indentOf(lineText) && nextLine.trim() !== '' && prose(next, nextLine))) {
    const key = here && !/\s/.test((here[2] ?? '').trim()) ? here[2]?.trim() : undefined;
    const block = key ? `\`${key}: |\`` : '`|` after the key (as in `do: |`)';
    return `this text has a colon in it, which YAML reads as a new key: use ${block} and put the text on the lines below, indented (or put the whole text in quotes)`;
  }
  if (nextContinues && here && /^\s*-\s/.test(here[1] ?? '') && next) {
    const key = here[2]?.trim() ?? '';
    return `the next line is indented more than "${key}:", so YAML reads it as part of ${key}'s value: to give this item another key (such as on_conflict:) line it up with ${key}:; a new item (a new step) starts with "- " in the column of the "-" above`;
  }
  if (nextContinues) {
    return 'the next line is indented more than this one, so YAML reads it as part of this value: start the keys of one rule in the same column (or, for text over several lines, use `key: |`)';
  }
  return 'YAML reads this line as a key without a value: add ": value", or indent it to continue the text above (for text over several lines, use `key: |`)';
}

/**
 * A line that starts left of a list item's keys but right of its "-": YAML cannot tell whether
 * it is a new item that lost its "- " or a key of the item above.
 */
function listItemIndent(lineText: string): string {
  const key = KEY_LINE.exec(lineText)?.[2]?.trim();
  const what = key ? `"${key}:"` : 'this line';
  return `${what} is indented between the "- " of the list item above and that item's first key: a new item (such as a new step) starts with "- " in the same column as the "-" above; a key of the item above lines up with its first key`;
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)?.[0].length ?? 0;
}

/** The line with its value in double quotes, as the fix to show. */
export function quoteFix(lineText: string, col: number): string {
  const start = Math.max(0, col - 1);
  const head = lineText.slice(0, start);
  let value = lineText.slice(start);
  // In [a, b] lists only the one item needs quotes.
  const inFlow = /[[{,]\s*$/.test(head);
  if (inFlow) value = /^[^,\]}]*/.exec(value)?.[0] ?? value;
  value = value.replace(/\s+#.*$/, '').trim();
  const fixed = `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return inFlow ? fixed : `${head.trim()} ${fixed}`.trim();
}

/** Why a feature of YAML that dropwork refuses was refused, and how to write it instead. */
export function explainRefusal(kind: Refusal, lineText: string, col: number, depth: number): string {
  switch (kind) {
    case 'alias': {
      const fix = quoteFix(lineText, col);
      const star = lineText.slice(col - 1).startsWith('*');
      return star
        ? `a value that starts with * must be in quotes: ${fix} (unquoted, YAML reads *name as a reference to another part of the file)`
        : `dropwork does not accept YAML aliases: write the value out in full`;
    }
    case 'anchor':
      if (!/^&\S+\s+[^\s[{]/.test(lineText.slice(col - 1))) return 'dropwork does not accept YAML anchors (&name) and aliases (*name): write the values out in full';
      return `a value that starts with & must be in quotes: ${quoteFix(lineText, col)} (dropwork does not accept YAML anchors)`;
    case 'tag':
      return `a value that starts with ! must be in quotes: ${quoteFix(lineText, col)} (dropwork does not accept YAML tags)`;
    case 'depth':
      return `is nested ${depth} levels deep; settings never need more than a few levels: check the indentation and brackets here`;
  }
}
