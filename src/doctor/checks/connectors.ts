import { fail, pass, warn, type Check } from '../check.js';

/**
 * Each connector (config.yaml's mcp:): started as a job would start it (a program confined by
 * bubblewrap, or the URL), asked for its tools, closed. A connector that cannot start fails the
 * doctor when a rule names it (its jobs would fail), and warns otherwise.
 */
export const connectorsCheck: Check = {
  id: 'connectors',
  title: 'Connectors',
  applies: (ctx) => Object.keys(ctx.config.mcp).length > 0,
  async run(ctx) {
    const { listConnector } = await import('../../connectors/check.js');
    const used = new Set(ctx.rules.list().flatMap((r) => r.tools.map((t) => t.split('.')[0])));
    const lines: string[] = [];
    const broken: string[] = [];
    for (const [name, spec] of Object.entries(ctx.config.mcp)) {
      const listing = await listConnector(name, spec, ctx.paths.home);
      const how = spec.url ?? (spec.image !== undefined ? `image ${spec.image} (in a Docker container)` : `${spec.command ?? ''} (confined by bubblewrap)`);
      if (listing.ok) {
        lines.push(`${name}: reachable, ${how}; ${listing.tools.length} tool(s): ${listing.tools.map((t) => `${t.name}${t.readOnly ? ' (read-only)' : ''}`).join(', ')}`);
      } else {
        lines.push(`${name}: cannot start (${how}): ${listing.why}`);
        broken.push(name);
      }
    }
    const summary = lines.join('\n');
    if (broken.length === 0) return pass(summary);
    const fix = `fix ${broken.join(', ')} under mcp: in config.yaml (the command or URL, and the credentials.env lines it names)`;
    return broken.some((n) => used.has(n)) ? fail(summary, `${fix}; until then the jobs of rules naming ${broken.length > 1 ? 'them' : 'it'} fail`) : warn(summary, fix);
  },
};
