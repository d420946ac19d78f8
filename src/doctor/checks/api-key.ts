import Anthropic from '@anthropic-ai/sdk';
import { errorMessage } from '../../errors.js';
import { credentialsFile } from '../../service/credentials.js';
import { apiTarget } from '../api-target.js';
import { agentRules, fail, ONLY_COLLECTS, pass, warn, type Check } from '../check.js';

/**
 * Present, and accepted: asked with a token count, which costs nothing. The key itself is never
 * shown; where it came from is.
 */
export const apiKeyCheck: Check = {
  id: 'api-key',
  title: 'API key',
  async run(ctx) {
    if (ctx.config.role === 'collect') return pass(ONLY_COLLECTS);
    const target = apiTarget(ctx);
    const file = credentialsFile(ctx.paths.home);
    const needing = agentRules(ctx);
    if (!target.key) {
      const summary = 'no API key (ANTHROPIC_API_KEY in the environment or in credentials.env)';
      const fix = `add a line ANTHROPIC_API_KEY=sk-ant-... to ${file} (keep it mode 0600)`;
      return needing.length > 0 ? fail(`${summary}; needed by ${needing.join(', ')}`, fix) : warn(`${summary}; no rule needs one yet`, fix);
    }
    const client = new Anthropic({
      baseURL: target.baseURL,
      apiKey: target.key.kind === 'apiKey' ? target.key.value : null,
      authToken: target.key.kind === 'authToken' ? target.key.value : null,
      maxRetries: 0,
      timeout: 10_000,
    });
    try {
      const counted = await client.messages.countTokens({ model: ctx.config.model, messages: [{ role: 'user', content: 'dropwork doctor' }] });
      return pass(`accepted by ${target.baseURL} (from ${target.key.from}; a token count for ${ctx.config.model} came back: ${counted.input_tokens})`);
    } catch (err) {
      if (err instanceof Anthropic.AuthenticationError || err instanceof Anthropic.PermissionDeniedError) {
        return fail(`rejected by ${target.baseURL} (HTTP ${err.status}; key from ${target.key.from})`, `make a new key in the Anthropic console and put it in ${file} as ANTHROPIC_API_KEY=...`);
      }
      if (err instanceof Anthropic.NotFoundError) {
        return fail(`the key works, but ${target.baseURL} does not know the model "${ctx.config.model}"`, 'set `model:` in config.yaml to a model this provider offers');
      }
      if (err instanceof Anthropic.APIConnectionError) {
        return fail(`could not ask ${target.baseURL}: ${errorMessage(err)}`, 'see the Provider line above');
      }
      const status = err instanceof Anthropic.APIError ? `HTTP ${err.status}: ` : '';
      return warn(`the key could not be checked just now (${status}${errorMessage(err)})`, 'run dropwork doctor again in a minute');
    }
  },
};
