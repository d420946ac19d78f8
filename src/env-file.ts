/**
 * The one reader and writer of KEY=VALUE files (credentials.env). What the writer produces,
 * the reader gives back unchanged, whatever the value holds.
 *
 * A line is `KEY=VALUE` or `export KEY=VALUE`; blank lines and lines starting with `#` are
 * skipped, and so are lines that are not assignments. A value is
 * - bare: taken as it stands up to a ` #` comment, trimmed;
 * - in single quotes: taken literally;
 * - in double quotes: `\"`, `\\`, `\n` and `\r` are escapes, any other backslash is kept.
 * A comment may follow a closing quote.
 */
import fs from 'node:fs';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
/** Values written bare: nothing a reader could take for a quote, a comment or an escape. */
const BARE = /^[\w.:/+=@%,-]*$/;

export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = ASSIGNMENT.exec(line);
    if (!m) continue;
    out[m[1] as string] = parseValue(m[2] ?? '');
  }
  return out;
}

function parseValue(text: string): string {
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1);
    if (end > 0) return text.slice(1, end);
  }
  if (text.startsWith('"')) {
    let value = '';
    for (let i = 1; i < text.length; i++) {
      const c = text[i] as string;
      if (c === '"') return value;
      if (c === '\\' && i + 1 < text.length) {
        const next = text[i + 1] as string;
        const escaped = next === 'n' ? '\n' : next === 'r' ? '\r' : next === '"' || next === '\\' ? next : undefined;
        if (escaped !== undefined) {
          value += escaped;
          i++;
          continue;
        }
      }
      value += c;
    }
    // No closing quote: the line as written, like a bare value.
  }
  return text.replace(/\s+#.*$/, '').trim();
}

/** One `KEY=VALUE` line (without the newline) that parseEnv reads back as `value`. */
export function formatEnvLine(key: string, value: string): string {
  if (!KEY.test(key)) throw new Error(`"${key}" cannot be a variable name (letters, digits and _, not starting with a digit)`);
  if (BARE.test(value)) return `${key}=${value}`;
  const escaped = value.replace(/[\\"\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
  return `${key}="${escaped}"`;
}

/** The variables in a file; a missing or unreadable file has none. */
export function readEnvFile(file: string): Record<string, string> {
  try {
    return parseEnv(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}
