/**
 * A rule's network allowlist: `sandbox: {network: {allow: [...]}}`. Each entry names a host
 * and, optionally, a port: `api.notion.com` (ports 80 and 443), `*.example.org:443` (any
 * subdomain, not example.org itself), `127.0.0.1:8080`, `[::1]:8080`. An allowlist is a
 * capability grant, so it is kept narrow: no bare `*`, no port ranges.
 */
import net from 'node:net';

/** What a rule's `sandbox.network` says: nothing (false), everything (true), or the named hosts. */
export type NetworkSetting = boolean | { allow: string[] };

export interface AllowEntry {
  /** As written, for messages. */
  text: string;
  /** Lower case, without brackets; for a wildcard, the part after `*.`. */
  host: string;
  wildcard: boolean;
  /** Literal IP address (v4 or v6), else a name. */
  ip: boolean;
  /** The ports allowed; without one in the entry, 80 and 443. */
  ports: number[];
}

const DEFAULT_PORTS = [80, 443];
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The entry, or a sentence saying what is wrong with it (for rules check). */
export function parseAllowEntry(text: string): AllowEntry | string {
  const raw = text.trim().toLowerCase();
  if (raw === '' || raw === '*') return 'must name a host such as "api.example.org" ("*" would allow everything: use `network: true` for that)';
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(raw)) return `is a host name, not a URL: write "${raw.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/\/.*$/, '')}"`;
  let host = raw;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
  if (bracketed) {
    host = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (!net.isIPv6(raw)) {
    const m = /^(.*):(\d+)$/.exec(raw);
    if (m) { host = m[1] as string; port = Number(m[2]); }
  }
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) return `has port ${port}: a port is 1 to 65535`;
  const ports = port === undefined ? DEFAULT_PORTS : [port];
  if (net.isIP(host)) return { text, host, wildcard: false, ip: true, ports };
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  if (name.includes('*')) return 'may use "*" only as its first label ("*.example.org")';
  const labels = name.replace(/\.$/, '').split('.');
  if (!labels.every((l) => LABEL.test(l))) return `"${text}" is not a host name (letters, digits, "-" and "." only)`;
  if (wildcard && labels.length < 2) return `"${text}" would allow a whole top-level domain: name the domain ("*.example.org")`;
  return { text, host: labels.join('.'), wildcard, ip: false, ports };
}

/** The parsed entries; an entry that does not parse is skipped (rules check has refused the rule before). */
export function parseAllowlist(entries: readonly string[]): AllowEntry[] {
  return entries.map(parseAllowEntry).filter((e): e is AllowEntry => typeof e !== 'string');
}

/** A host as the request names it, for matching: lower case, no trailing dot, no brackets. */
export function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** The entry that lets `host:port` through, if any. */
export function findEntry(entries: readonly AllowEntry[], host: string, port: number): AllowEntry | undefined {
  const h = normalHost(host);
  return entries.find((e) => e.ports.includes(port) && (e.wildcard ? h.endsWith(`.${e.host}`) : e.ip ? sameIp(h, e.host) : h === e.host));
}

/** Is this literal address itself named in the allowlist (at any port)? */
export function addressNamed(entries: readonly AllowEntry[], address: string, port: number): boolean {
  return entries.some((e) => e.ip && e.ports.includes(port) && sameIp(address, e.host));
}

function sameIp(a: string, b: string): boolean {
  if (!net.isIP(a) || !net.isIP(b)) return false;
  const v4 = (s: string): string => s.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  const sa = new net.SocketAddress({ address: v4(a), family: net.isIPv6(v4(a)) ? 'ipv6' : 'ipv4' });
  const sb = new net.SocketAddress({ address: v4(b), family: net.isIPv6(v4(b)) ? 'ipv6' : 'ipv4' });
  const list = new net.BlockList();
  list.addAddress(sb.address, sb.family);
  return list.check(sa.address, sa.family);
}

/** How `rules check` and the dashboard name a rule's network. */
export function describeNetwork(setting: NetworkSetting): string {
  if (setting === true) return 'network: all (no allowlist: every host and port)';
  if (setting === false) return 'network: none';
  return `network: only ${setting.allow.join(', ')}`;
}
