/**
 * The store's statements are written once, in the SQL both engines read, with better-sqlite3's
 * placeholders (`?` in order, `@name` from an object). PostgreSQL numbers them ($1, $2, ...):
 * this turns one form into the other, leaving quoted strings, identifiers, comments and `::`
 * casts alone.
 */
export interface Translated {
  text: string;
  /** For each $n, the name it came from, or its position among the `?`s. */
  slots: (string | number)[];
}

export function translate(sql: string): Translated {
  let out = '';
  const slots: (string | number)[] = [];
  const named = new Map<string, number>();
  let positional = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      slots.push(positional++);
      out += `$${slots.length}`;
      i++;
    } else if (c === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
    } else if ((c === '@' || c === ':') && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))!;
      const name = m[0];
      let n = named.get(name);
      if (n === undefined) {
        slots.push(name);
        n = slots.length;
        named.set(name, n);
      }
      out += `$${n}`;
      i += 1 + name.length;
    } else {
      out += c;
      i++;
    }
  }
  return { text: out, slots };
}

function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) { i += 2; continue; }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** The values for a translated statement from better-sqlite3-style arguments. */
export function bind(t: Translated, args: unknown[]): unknown[] {
  if (t.slots.length === 0) return [];
  const positional = args.filter((a) => !isNamed(a));
  const named = args.find(isNamed) as Record<string, unknown> | undefined;
  return t.slots.map((s) => {
    if (typeof s === 'number') return value(positional[s]);
    if (!named || !(s in named)) throw new Error(`missing named parameter @${s}`);
    return value(named[s]);
  });
}

function isNamed(a: unknown): boolean {
  return typeof a === 'object' && a !== null && !Buffer.isBuffer(a) && !(a instanceof Uint8Array) && !Array.isArray(a);
}

function value(v: unknown): unknown {
  return v === undefined ? null : v;
}
