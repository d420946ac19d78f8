/**
 * Which provider and model a job asks, with what key, at what price, and what its model can
 * read: one place for `do:` jobs, compile jobs and `dropwork eval`, so they cannot differ.
 * A rule on a provider whose model cannot call tools ends here with the reason, before any
 * request (`rules check` and doctor say the same up front: rules/providers-check.ts).
 */
import type { Config } from '../config.js';
import { UnrecoverableError } from '../errors.js';
import type { Paths } from '../paths.js';
import type { Store } from '../queue/store.js';
import type { Rule } from '../rules/rule.js';
import { fileCharsFor } from './context-fit.js';
import type { Credentials } from './credentials.js';
import type { ReaderLimits } from './files/attach.js';
import { PRICES_AS_OF, priceFor, type Price, type PriceLookup } from './pricing.js';
import { agentTarget, openProvider, type Provider, type ProviderSettings } from './provider.js';
import { readyToAsk } from './ready.js';

export interface ModelChoice {
  settings: ProviderSettings;
  model: string;
  creds: Credentials;
  provider: Provider;
  price: Price;
  priceSource: PriceLookup['source'];
  pdfMode: 'document' | 'text';
  reader: ReaderLimits;
}

export function noToolsReason(settings: Pick<ProviderSettings, 'name'>): string {
  return `provider ${settings.name} says its model cannot call tools (tools: false in config.yaml), and a do: rule needs them; give this rule a provider whose model can`;
}

export async function chooseModel(ctx: { rule: Pick<Rule, 'model' | 'provider'>; config: Config; store: Store; paths: Pick<Paths, 'home'> }): Promise<ModelChoice> {
  const { settings, model } = agentTarget(ctx.rule, ctx.config);
  if (!settings.tools) throw new UnrecoverableError(noToolsReason(settings));
  const creds = readyToAsk(ctx.store, ctx.config, ctx.paths.home, settings);
  const provider = await openProvider(settings, creds);
  const { price, source } = priceFor(model, ctx.config.prices, settings);
  const pdfMode = provider.supports.pdf && ctx.config.provider.pdf === 'document' ? 'document' : 'text';
  return {
    settings, model, creds, provider, price, priceSource: source, pdfMode,
    reader: { images: provider.supports.vision, maxChars: fileCharsFor(provider.supports.context, settings.name) },
  };
}

/**
 * The history's words about the model: `head` (where it runs, where its key came from) leads
 * the job's first line, `tail` (its price, what it cannot read) ends it.
 */
export function describeChoice(c: ModelChoice): { head: string; tail: string } {
  const via = c.settings.name === 'default' ? c.provider.origin : `provider ${c.settings.name} (${c.settings.api} API at ${c.provider.origin})`;
  const price = c.priceSource === 'unknown'
    ? `no price is known for ${c.model}: counted at $${c.price.input}/$${c.price.output} per million tokens (set prices: in config.yaml)`
    : c.priceSource === 'local' ? 'a server on this machine: $0 unless prices: says otherwise'
      : `prices of ${c.priceSource === 'config' ? 'config.yaml' : PRICES_AS_OF}`;
  const reads: string[] = [];
  if (!c.provider.supports.vision) reads.push('images are described, not shown (vision: false)');
  if (c.pdfMode === 'text' && c.settings.name !== 'default') reads.push('PDFs go as their extracted text');
  if (c.reader.maxChars !== undefined) reads.push(`files are cut to ${c.reader.maxChars} characters a request (context: ${c.provider.supports.context} tokens)`);
  return { head: `model ${c.model} via ${via}, key from ${c.creds.source}`, tail: [price, ...reads].join('; ') };
}
