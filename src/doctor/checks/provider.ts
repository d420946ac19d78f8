import { errorMessage } from '../../errors.js';
import { apiTarget } from '../api-target.js';
import { agentRules, fail, ONLY_COLLECTS, pass, warn, type Check } from '../check.js';

/**
 * Any HTTP answer from the provider counts: this is about the network path (DNS, proxy,
 * firewall, a local server that is down), not the key, which the next check asks about.
 */
export const providerCheck: Check = {
  id: 'provider',
  title: 'Provider',
  async run(ctx) {
    if (ctx.config.role === 'collect') return pass(ONLY_COLLECTS);
    const { baseURL, baseFrom } = apiTarget(ctx);
    try {
      const res = await fetch(`${baseURL}/v1/models`, { signal: AbortSignal.timeout(8000) });
      await res.body?.cancel();
      return pass(`${baseURL} answers (HTTP ${res.status}; from ${baseFrom})`);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      const why = errorMessage(cause ?? err);
      const summary = `${baseURL} cannot be reached (${why}; from ${baseFrom})`;
      const fix = baseFrom === 'Anthropic'
        ? 'check the network connection and any firewall or proxy; for another Anthropic-compatible server, set provider.base_url in config.yaml'
        : `start that server or check the network to it; or correct ${baseFrom}`;
      return agentRules(ctx).length > 0 ? fail(summary, fix) : warn(`${summary}; no rule needs it yet`, fix);
    }
  },
};
