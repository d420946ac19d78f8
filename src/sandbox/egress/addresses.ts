/**
 * Addresses a name in the allowlist must not lead to unless the allowlist names them itself:
 * the host's own (loopback, its LAN and Docker bridge addresses), private and link-local
 * ranges (169.254.169.254, a cloud's metadata service), multicast. A DNS name that resolves
 * there (rebinding, a stale record, a name someone else controls) would otherwise turn
 * "api.example.org" into "the printer's admin page".
 */
import net from 'node:net';
import os from 'node:os';

const V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/3'];
const V6 = ['::/127', 'fc00::/7', 'fe80::/10', 'ff00::/8', '64:ff9b::/96'];

function inside(): net.BlockList {
  const list = new net.BlockList();
  for (const c of V4) { const [a, p] = c.split('/'); list.addSubnet(a as string, Number(p), 'ipv4'); }
  for (const c of V6) { const [a, p] = c.split('/'); list.addSubnet(a as string, Number(p), 'ipv6'); }
  return list;
}

const INSIDE = inside();

/** The host's own addresses, read each time: interfaces come and go (a VPN, a new Docker network). */
function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) own.add(a.address.toLowerCase());
  return own;
}

/** Why this address is off limits unless named ("a private address"), or undefined for a public one. */
export function insideAddress(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a = mapped ? (mapped[1] as string) : address;
  const family = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : undefined;
  if (!family) return 'not an IP address';
  if (ownAddresses().has(a.toLowerCase())) return "one of this computer's own addresses";
  if (INSIDE.check(a, family)) return 'a loopback, private, link-local or multicast address';
  return undefined;
}
