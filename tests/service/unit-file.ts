/**
 * Reads a systemd unit back the way systemd does, for what these tests need: sections, the
 * words of ExecStart (quotes, `\` escapes, `%%` and `$$`), and Environment= assignments.
 * systemd-analyze verify checks the same file for real; this turns it into values to compare.
 */

export type Unit = Record<string, Record<string, string[]>>;

export function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = line.match(/^\[(.+)\]$/);
    if (head) {
      section = head[1] as string;
      unit[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    const s = (unit[section] ??= {});
    (s[key] ??= []).push(line.slice(eq + 1).trim());
  }
  return unit;
}

/** systemd's word splitting of a command line or an Environment= value. */
export function words(value: string, opts: { dollars: boolean }): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (value[i] === ' ') i++;
    if (i >= value.length) break;
    let word = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\') i++;
        word += value[i];
        i++;
      }
      i++;
    } else {
      while (i < value.length && value[i] !== ' ') word += value[i++];
    }
    word = word.replace(/%%/g, '%');
    out.push(opts.dollars ? word.replace(/\$\$/g, '$') : word);
  }
  return out;
}

export function environment(unit: Unit): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of unit.Service?.Environment ?? []) {
    for (const w of words(v, { dollars: false })) {
      const eq = w.indexOf('=');
      env[w.slice(0, eq)] = w.slice(eq + 1);
    }
  }
  return env;
}
