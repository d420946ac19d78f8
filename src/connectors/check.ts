/**
 * What `rules check` and `dropwork doctor` say of connectors. A rule naming a connector that
 * config.yaml does not define, or a tool its server does not offer, is an error located at
 * the rule's `tools:` entry, with the likeliest meant name. Checking tool names means asking
 * the server, so each named server is started once (confined, as for a job) and closed.
 */
import { readCredentialsFile } from '../agent/credentials.js';
import { didYouMean } from '../closest.js';
import type { Config, McpServerConfig } from '../config.js';
import { ConfigError, errorMessage } from '../errors.js';
import { locateRuleKey } from '../rules/load.js';
import type { Rule } from '../rules/rule.js';
import { Connector, type ConnectorTool } from './connection.js';
import { probeConfinement } from './confine.js';
import { scrub } from './tools.js';

export type Listing = { ok: true; tools: ConnectorTool[] } | { ok: false; why: string };

/** Starts the server, lists its tools, closes it. Never throws. */
export async function listConnector(name: string, spec: McpServerConfig, home: string): Promise<Listing> {
  const credentials = readCredentialsFile(home);
  const missing = spec.env.filter((n) => credentials[n] === undefined);
  if (missing.length) return { ok: false, why: `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in credentials.env` };
  if (spec.command !== undefined) {
    const probe = probeConfinement();
    if (!probe.ok) return { ok: false, why: `${probe.why}; rules naming it do not run (there is no unconfined fallback)` };
  }
  const secrets = Object.fromEntries(spec.env.map((n) => [n, credentials[n] as string]));
  try {
    const connector = await Connector.open(name, spec, { secrets, hide: [home], startMs: 10_000 });
    const tools = connector.tools;
    await connector.close();
    return { ok: true, tools };
  } catch (err) {
    return { ok: false, why: scrub(errorMessage(err), Object.values(secrets)).slice(0, 300) };
  }
}

export async function connectorProblems(rules: readonly Rule[], config: Pick<Config, 'mcp'>, home: string): Promise<{ errors: ConfigError[]; warnings: ConfigError[] }> {
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  const known = Object.keys(config.mcp);
  const listings = new Map<string, Promise<Listing>>();
  for (const rule of rules) {
    for (const [i, ref] of rule.tools.entries()) {
      const dot = ref.indexOf('.');
      const server = dot < 0 ? ref : ref.slice(0, dot);
      const spec = config.mcp[server];
      const where = locateRuleKey(rule, 'tools', i);
      if (!spec) {
        errors.push(new ConfigError(where, known.length
          ? `names the connector "${server}", which config.yaml's mcp: does not define${didYouMean(server, known)}; connectors: ${known.join(', ')}`
          : `names the connector "${server}", but config.yaml defines no connectors (add it under mcp:)`));
        continue;
      }
      if (dot < 0) continue;
      const tool = ref.slice(dot + 1);
      if (!listings.has(server)) listings.set(server, listConnector(server, spec, home));
      const listing = await (listings.get(server) as Promise<Listing>);
      if (!listing.ok) {
        warnings.push(new ConfigError(where, `could not ask the ${server} connector whether it offers "${tool}": ${listing.why}`));
      } else if (!listing.tools.some((t) => t.name === tool)) {
        errors.push(new ConfigError(where, `names "${tool}", a tool the ${server} connector does not offer${didYouMean(tool, listing.tools.map((t) => t.name))}; it offers: ${listing.tools.map((t) => t.name).join(', ')}`));
      }
    }
  }
  return { errors, warnings };
}
