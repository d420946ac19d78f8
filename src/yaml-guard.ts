import { isAlias, isCollection, isNode, isPair, type Document, type Node } from 'yaml';

/**
 * The limits a settings file must fit before it is read as YAML. Rule files and config.yaml are
 * a few hundred bytes of plain text; anything else is the wrong file or hostile, and must cost
 * that file alone, never the daemon.
 */

/** Far above any real rule file (the examples are under 1 KB), far below what hurts. */
export const MAX_FILE_BYTES = 1 << 20;
/** Real files nest 5 deep at most (a list of rules → rule → actions → step → value). */
export const MAX_DEPTH = 16;

/** A problem at a byte offset of the text, in words for a person. */
export interface TextProblem {
  offset: number;
  message: string;
}

/** Bytes as text, or why they are not text: not UTF-8, too big. */
export function decodeText(bytes: Uint8Array): { text: string } | TextProblem {
  if (bytes.length > MAX_FILE_BYTES) return { offset: 0, message: tooBig(bytes.length) };
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    // Offsets past this point are in characters; count the good bytes before it as text.
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, bad));
    return {
      offset: before.length,
      message: `is not plain text here (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} is not UTF-8): save the file as UTF-8 text, or check that it is the right file`,
    };
  }
}

/** Problems in the text itself that YAML would accept but no settings file contains. */
export function checkText(text: string): TextProblem | undefined {
  if (text.length > MAX_FILE_BYTES) return { offset: 0, message: tooBig(text.length) };
  // C0 controls other than tab, newline and return, and DEL: a binary file, or a paste gone wrong.
  const m = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { offset: m.index, message: `holds a control character (0x${code}) that plain text never has: is this the right file? If it is, delete the invisible character here` };
  }
  return undefined;
}

export type Refusal = 'alias' | 'anchor' | 'tag' | 'depth';

/**
 * YAML features dropwork refuses, found by walking the document without recursion (a hostile
 * file may nest thousands deep): aliases (`*x`, which is what an unquoted `*.pdf` is), anchors
 * (`&x`), explicit tags (`!x`), and nesting deeper than any real file. Refusing aliases outright
 * also makes alias bombs impossible, whatever the expansion limit.
 */
export function findRefusals(doc: Document.Parsed): { node: Node; kind: Refusal; depth: number }[] {
  const found: { node: Node; kind: Refusal; depth: number }[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0 && found.length < 50) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (isPair(node)) {
      stack.push({ node: node.value, depth }, { node: node.key, depth });
      continue;
    }
    if (!isNode(node)) continue;
    if (isAlias(node)) {
      found.push({ node, kind: 'alias', depth });
      continue;
    }
    if (node.anchor) found.push({ node, kind: 'anchor', depth });
    // The parser sets `tag` only for tags written in the file (`!x`, `!!str`).
    if (node.tag) found.push({ node, kind: 'tag', depth });
    if (isCollection(node)) {
      if (depth > MAX_DEPTH) {
        found.push({ node, kind: 'depth', depth });
        continue;
      }
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
    }
  }
  return found;
}

export function tooBig(bytes: number): string {
  return `is ${(bytes / 1_048_576).toFixed(1)} MB; settings files are plain text of a few kilobytes (at most ${MAX_FILE_BYTES / 1_048_576} MB): is this the right file?`;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return 0;
}
