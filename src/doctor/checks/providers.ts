/**
 * The named providers of config.yaml (`providers:`): each server answers (any HTTP status: the
 * network path, as the provider check asks of the default one) and has its key, unless it runs
 * on this machine. A problem with a provider a rule or `condition_provider` uses fails; one with
 * a provider nothing uses yet warns.
 */
import { credentialsFile, findKeyFor, keyVariable } from '../../agent/credentials.js';
import { errorMessage } from '../../errors.js';
import { ONLY_COLLECTS, fail, pass, warn, type Check } from '../check.js';

async function answers(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/models`, { signal: AbortSignal.timeout(5000) });
    await res.body?.cancel();
    return undefined;
  } catch (err) {
    return errorMessage((err as { cause?: unknown }).cause ?? err);
  }
}

export const providersCheck: Check = {
  id: 'providers',
  title: 'Named providers',
  applies: (ctx) => Object.keys(ctx.config.providers).length > 0,
  async run(ctx) {
    const named = Object.entries(ctx.config.providers);
    if (ctx.config.role === 'collect') return pass(ONLY_COLLECTS);
    const used = new Set([...ctx.rules.list().map((r) => r.provider), ctx.config.condition_provider].filter((n): n is string => n !== undefined));
    const problems: { name: string; what: string }[] = [];
    const fine: string[] = [];
    for (const [name, p] of named) {
      const missing = p.base_url ? await answers(p.base_url) : undefined;
      if (missing) problems.push({ name, what: `${name}: ${p.base_url ?? ''} cannot be reached (${missing})` });
      else if (!findKeyFor(ctx.paths.home, { ...p, name }, ctx.env)) problems.push({ name, what: `${name}: no key (${keyVariable(p) ?? 'ANTHROPIC_API_KEY'})` });
      else fine.push(`${name} (${p.model}${p.tools ? '' : ', no tools'})`);
    }
    if (problems.length === 0) return pass(fine.join(', '));
    const summary = problems.map((p) => p.what).join('; ');
    const fix = `start the server or correct its base_url; put each missing key in ${credentialsFile(ctx.paths.home)} (chmod 600) under the variable named`;
    return problems.some((p) => used.has(p.name)) ? fail(summary, fix) : warn(`${summary}; no rule uses ${problems.length > 1 ? 'them' : 'it'} yet`, fix);
  },
};
