import fs from 'node:fs';
import path from 'node:path';
import { formatEnvLine, readEnvFile } from '../env-file.js';

/** What the service (and the agent) read from `<home>/credentials.env`. */
export const CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL'] as const;

export function credentialsFile(home: string): string {
  return path.join(home, 'credentials.env');
}

const HEADER = `# dropwork's credentials: KEY=VALUE lines, read by dropwork for every job (no restart needed).
# Keep this file private (mode 0600). Keys never go into the service unit or plist.
# ANTHROPIC_API_KEY=sk-ant-...
# ANTHROPIC_BASE_URL=https://... (an Anthropic-compatible server)
`;

/** The variables in credentials.env (src/env-file.ts says how values are read). */
export function readCredentials(file: string): Record<string, string> {
  return readEnvFile(file);
}

export interface CredentialsSetup {
  file: string;
  created: boolean;
  /** Variables copied from the installing shell's environment (names only; values are never shown). */
  copied: string[];
  /** The file was readable by others and has been made private. */
  madePrivate: boolean;
}

/**
 * Makes sure the credentials file exists with mode 0600, and carries over keys the installing
 * shell has but the file lacks: the service does not inherit the shell's environment, so a key
 * that only lived there would silently be missing. The service does not load this file into its
 * environment either: the daemon reads it for every job, so an edited key applies at once
 * (a key in the environment would win over the file until a restart).
 */
export function setUpCredentials(home: string, env: NodeJS.ProcessEnv = process.env): CredentialsSetup {
  const file = credentialsFile(home);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const created = !fs.existsSync(file);
  if (created) fs.writeFileSync(file, HEADER, { mode: 0o600 });
  const madePrivate = !created && (fs.statSync(file).mode & 0o077) !== 0;
  fs.chmodSync(file, 0o600);
  const have = readCredentials(file);
  const copied = CREDENTIAL_VARS.filter((name) => env[name] && have[name] === undefined);
  if (copied.length > 0) {
    const current = fs.readFileSync(file, 'utf8');
    const lines = copied.map((name) => formatEnvLine(name, env[name] as string));
    fs.appendFileSync(file, (current.endsWith('\n') || current === '' ? '' : '\n') + lines.join('\n') + '\n');
  }
  return { file, created, copied, madePrivate };
}
