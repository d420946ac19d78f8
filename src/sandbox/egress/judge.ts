/**
 * The egress proxy's one decision: may this job reach `host:port`, and at which address.
 * The name is resolved here, on the host, never in the sandbox (which has no DNS at all), and
 * the connection goes to the very address that was checked, so a second lookup cannot
 * answer differently (DNS rebinding).
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { insideAddress } from './addresses.js';
import { addressNamed, findEntry, normalHost, type AllowEntry } from './allowlist.js';

export type Verdict = { allowed: true; address: string; entry: string } | { allowed: false; reason: string; status: number };

export type Lookup = (host: string) => Promise<string[]>;

export const systemLookup: Lookup = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const LOOKUP_MS = 5000;

export async function judge(entries: readonly AllowEntry[], rawHost: string, port: number, lookup: Lookup = systemLookup): Promise<Verdict> {
  const host = normalHost(rawHost);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return { allowed: false, status: 400, reason: `"${rawHost}:${port}" is not a host and port` };
  const entry = findEntry(entries, host, port);
  if (!entry) {
    const otherPort = findEntry(entries, host, port === 443 ? 80 : 443) ?? entries.find((e) => e.host === host);
    return { allowed: false, status: 403, reason: otherPort
      ? `${host}:${port} is not in this rule's network allowlist (it allows ${otherPort.text}, not port ${port})`
      : `${host} is not in this rule's network allowlist` };
  }
  if (net.isIP(host)) return { allowed: true, address: host, entry: entry.text };

  let addresses: string[];
  try {
    addresses = await withTimeout(lookup(host), LOOKUP_MS, `no answer in ${LOOKUP_MS / 1000} s`);
  } catch (err) {
    return { allowed: false, status: 502, reason: `${host} could not be resolved (${err instanceof Error ? err.message : String(err)})` };
  }
  const address = addresses[0];
  if (address === undefined) return { allowed: false, status: 502, reason: `${host} has no address` };
  const inside = insideAddress(address);
  const loopbackName = host === 'localhost' && /^(127\.|::1$)/.test(address);
  if (inside && !loopbackName && !addressNamed(entries, address, port)) {
    return { allowed: false, status: 403, reason: `${host} resolves to ${address}, ${inside}: name ${net.isIPv6(address) ? `[${address}]` : address}:${port} in the allowlist to allow it` };
  }
  return { allowed: true, address, entry: entry.text };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })]).finally(() => clearTimeout(timer));
}
