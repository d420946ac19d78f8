// Seeded mutations of rule and config files and the in-process fuzz run, shared by the fuzz tests
// (tests/rules/fuzz*.test.ts, loaders from src/) and the runner scripts/fuzz-rules.mjs (loaders
// from dist/). Only erasable TypeScript and node: imports, so Node runs it as it is (type
// stripping) and vitest imports it from the tests.
import fs from 'node:fs';
import path from 'node:path';

/** A deterministic random source: the same seed gives the same files on every machine. */
export interface Random {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny, fast and good enough to pick mutations. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

/** What people and hostile files put where YAML means something else. */
const TOKENS = [
  '*', '*.pdf', '&', '&a ', '!', '!!str ', '!foo ', '\t', ':', ': ', ' : ', '- ', '-', '? ', '[', ']', '{', '}', ',',
  '"', "'", '|', '>', '#', '%', '@', '`', '\n', '\r\n', '---\n', '...\n', '\\', 'null', '~', '- null\n',
  'é', '日本語', '\u202e', '\u200b', '\ufeff', '\u0000', '\u0007', '\u007f', '😀', '\ud800', 'true', '-1', '1e999', '0x1F',
  '{name}', '{nme}', '../../', '/', '~/', 'C:\\Users\\x',
];

const BOMB = 'a: &a ["x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d]\n';

type Mutation = (bytes: Uint8Array, r: Random) => Uint8Array;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');
const asText = (b: Uint8Array): string => dec.decode(b);
const asBytes = (s: string): Uint8Array => enc.encode(s);

function splice(b: Uint8Array, at: number, removeWanted: number, insert: Uint8Array): Uint8Array {
  const remove = Math.min(removeWanted, b.length - at);
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

function onLines(b: Uint8Array, fn: (lines: string[], r: Random) => void, r: Random): Uint8Array {
  const lines = asText(b).split('\n');
  fn(lines, r);
  return asBytes(lines.join('\n'));
}

const MUTATIONS: Record<string, Mutation> = {
  flipByte: (b, r) => {
    if (b.length === 0) return b;
    const out = b.slice();
    const at = r.int(out.length);
    out[at] = r.next() < 0.5 ? r.int(256) : (out[at] as number) ^ (1 << r.int(8));
    return out;
  },
  insertToken: (b, r) => splice(b, r.int(b.length + 1), 0, asBytes(r.pick(TOKENS))),
  replaceWithToken: (b, r) => splice(b, r.int(b.length + 1), r.int(4), asBytes(r.pick(TOKENS))),
  quoteStrip: (b) => asBytes(asText(b).replace(/"/g, '')),
  deleteLine: (b, r) => onLines(b, (l, rr) => { l.splice(rr.int(l.length), 1); }, r),
  duplicateLine: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); l.splice(i, 0, l[i] ?? ''); }, r),
  swapLines: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); const j = rr.int(l.length); [l[i], l[j]] = [l[j] ?? '', l[i] ?? '']; }, r),
  indentLine: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); l[i] = rr.pick([' ', '  ', '\t', '    ']) + (l[i] ?? ''); }, r),
  dedentLine: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); l[i] = (l[i] ?? '').trimStart(); }, r),
  valueToAlias: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); l[i] = (l[i] ?? '').replace(/:\s+("?)([^"\n]*)\1\s*$/, `: *${rr.pick(['.pdf', 'x', 'undefined', 'a'])}`); }, r),
  valueToNull: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); l[i] = (l[i] ?? '').replace(/:\s+.*$/, rr.pick([':', ': null', ': ~', ': []', ': {}', ': 0', ': -5'])); }, r),
  listOfNulls: (b, r) => asBytes(r.pick(['- null\n', '-\n', '- ~\n- name: x\n']) + asText(b)),
  truncate: (b, r) => b.subarray(0, r.int(b.length + 1)),
  deepFlow: (b, r) => { const n = 1 + r.int(3000); return splice(b, r.int(b.length + 1), 0, asBytes('['.repeat(n) + (r.next() < 0.5 ? ']'.repeat(n) : ''))); },
  deepBlock: (b, r) => asBytes(`${asText(b)}\nx:\n${Array.from({ length: 1 + r.int(200) }, (_, i) => `${' '.repeat(i * 2 + 2)}-`).join('\n')} deep\n`),
  aliasBomb: (b, r) => (r.next() < 0.5 ? asBytes(BOMB) : asBytes(`${asText(b)}\n${BOMB}`)),
  invalidUtf8: (b, r) => splice(b, r.int(b.length + 1), 0, Uint8Array.from(r.pick([[0xff], [0xc3], [0xe9], [0xed, 0xa0, 0x80], [0xf5, 0x80]]))),
  binaryJunk: (b, r) => splice(b, r.int(b.length + 1), 0, Uint8Array.from({ length: 1 + r.int(64) }, () => r.int(256))),
  hugeValue: (b, r) => splice(b, r.int(b.length + 1), 0, asBytes('x'.repeat(r.pick([1025, 70_000, 1_100_000])))),
  colonInText: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); l[i] = `${l[i] ?? ''}${rr.pick([': then this', ' note: that', ':', ' - a: b'])}`; }, r),
  keyTypo: (b, r) => onLines(b, (l, rr) => { const i = rr.int(l.length); l[i] = (l[i] ?? '').replace(/^(\s*-?\s*)(\w)(\w)/, (_m, p: string, x: string, y: string) => (rr.next() < 0.5 ? `${p}${y}${x}` : `${p}${x}`)); }, r),
  duplicateKey: (b, r) => onLines(b, (l, rr) => { const keyed = l.filter((x) => /^\w+:/.test(x)); if (keyed.length) l.push(rr.pick(keyed)); }, r),
  multiDoc: (b) => asBytes(`${asText(b)}\n---\n${asText(b)}`),
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);

/** One to four mutations of one of the seeds; `names` says which, for the report. */
export function mutate(seeds: readonly Uint8Array[], r: Random): { bytes: Uint8Array; names: string[] } {
  let bytes = r.pick(seeds);
  const names: string[] = [];
  const rounds = 1 + r.int(4);
  for (let i = 0; i < rounds; i++) {
    const name = r.pick(MUTATION_NAMES);
    names.push(name);
    bytes = (MUTATIONS[name] as Mutation)(bytes, r);
  }
  return { bytes, names };
}

/** FILE:LINE:COL at the start of a message, with a line and column that exist in the file. */
export function locatedIn(message: string, file: string, bytes: Uint8Array): boolean {
  if (!message.startsWith(`${file}:`)) return false;
  const m = /^(\d+):(\d+) \S/.exec(message.slice(file.length + 1));
  if (!m) return false;
  const line = Number(m[1]);
  const col = Number(m[2]);
  const lines = asText(bytes).split('\n').length;
  return line >= 1 && col >= 1 && line <= lines + 1;
}

// The in-process run: what `rules check`, `doctor` and the daemon's reload do with each file.

interface Located { message: string }
/** The parts of dropwork under test, passed in so the same code runs against src/ or dist/. */
export interface Loaders {
  ruleSet(dir: string, home: string): { reload(): void; list(): { name: string }[]; errors: Located[] };
  loadConfig(file: string, env: NodeJS.ProcessEnv): { errors: Located[] };
}

export interface FuzzReport {
  tried: number;
  crashes: { index: number; mutations: string[]; error: string }[];
  unlocated: { index: number; mutations: string[]; message: string }[];
  /** The plain rule beside the mutated file stopped loading. */
  lostCanary: { index: number; mutations: string[] }[];
  withErrors: number;
  slowestMs: number;
}

export const CANARY = 'name: zz-canary\nwatch: inbox/zz-canary\nactions:\n  - copy: "."\n';

/** Seed files: the example rules, every YAML block of the README, and config examples. */
export function fuzzSeeds(repo: string): { rules: Uint8Array[]; config: Uint8Array[] } {
  const rules = fs.readdirSync(path.join(repo, 'rules')).filter((n) => n.endsWith('.yaml')).map((n) => fs.readFileSync(path.join(repo, 'rules', n)));
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const enc = new TextEncoder();
  return {
    rules: [...rules, ...blocks.filter((b) => !/^#\s*config\.yaml/m.test(b)).map((b) => enc.encode(b))],
    config: [
      ...blocks.filter((b) => /^#\s*config\.yaml/m.test(b)).map((b) => enc.encode(b)),
      enc.encode('concurrency: 2\nprovider:\n  base_url: http://127.0.0.1:9\n  pdf: text\nprices:\n  claude-x: {input: 3, output: 15}\n'),
    ],
  };
}

/** `count` mutated rule files (and a config file for every fourth) from `seed`, checked one by one. */
export function fuzzInProcess(opts: { count: number; seed: number; dir: string; repo: string; loaders: Loaders }): FuzzReport {
  const seeds = fuzzSeeds(opts.repo);
  const r = seeded(opts.seed);
  const rulesDir = path.join(opts.dir, 'rules');
  fs.mkdirSync(rulesDir, { recursive: true });
  fs.writeFileSync(path.join(rulesDir, 'canary.yaml'), CANARY);
  const ruleFile = path.join(rulesDir, 'fuzz.yaml');
  const configFile = path.join(opts.dir, 'config.yaml');
  const report: FuzzReport = { tried: 0, crashes: [], unlocated: [], lostCanary: [], withErrors: 0, slowestMs: 0 };
  for (let i = 0; i < opts.count; i++) {
    const asConfig = i % 4 === 3;
    const { bytes, names } = mutate(asConfig ? seeds.config : seeds.rules, r);
    const file = asConfig ? configFile : ruleFile;
    fs.writeFileSync(file, bytes);
    report.tried++;
    const started = performance.now();
    let errors: Located[] = [];
    try {
      if (asConfig) {
        errors = opts.loaders.loadConfig(file, {}).errors;
      } else {
        const set = opts.loaders.ruleSet(rulesDir, opts.dir);
        set.reload();
        errors = set.errors;
        if (!set.list().some((x) => x.name === 'zz-canary')) report.lostCanary.push({ index: i, mutations: names });
      }
    } catch (err) {
      report.crashes.push({ index: i, mutations: names, error: String(err) });
      continue;
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - started);
    if (errors.length > 0) report.withErrors++;
    for (const e of errors) {
      if (!locatedIn(e.message, file, bytes)) report.unlocated.push({ index: i, mutations: names, message: e.message.slice(0, 300) });
    }
  }
  return report;
}
