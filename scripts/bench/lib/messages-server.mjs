// The messages test server (tests/support/messages-server.ts) for plain-ESM benchmarks: its
// TypeScript is transpiled once into a temp folder (types stripped, nothing checked), so the
// benchmark drives the same server the tests do, through the real SDK.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { ROOT } from './daemon.mjs';

export async function loadMessagesServer() {
  const support = path.join(ROOT, 'tests', 'support');
  return loadSupport(['messages-server.ts', ...fs.readdirSync(path.join(support, 'messages-server')).map((f) => `messages-server/${f}`)], 'messages-server.js');
}

/** The chat-completions test server (tests/support/chat-server.ts), for the OpenAI-compatible side. */
export function loadChatServer() {
  return loadSupport(['chat-server.ts'], 'chat-server.js');
}

async function loadSupport(files, entry) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-bench-server-'));
  const support = path.join(ROOT, 'tests', 'support');
  for (const rel of files.filter((f) => f.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(support, rel), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, outputText);
  }
  // The transpiled server imports the SDK by name: resolve it from the repository.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
  const mod = await import(pathToFileURL(path.join(out, entry)).href);
  return { ...mod, cleanup: () => fs.rmSync(out, { recursive: true, force: true }) };
}
