/**
 * Keeps secrets out of logs, history and the dashboard: Anthropic-style keys by their shape,
 * and the values of the key variables in this process's environment by their value.
 */
const KEY_SHAPE = /sk-ant-[A-Za-z0-9_-]{8,}/g;
const SECRET_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'];

export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text.replace(KEY_SHAPE, 'sk-ant-…redacted');
  for (const name of SECRET_VARS) {
    const value = env[name];
    // Very short values would redact ordinary words; real keys are long.
    if (value && value.length >= 8) out = out.split(value).join('…redacted');
  }
  return out;
}
