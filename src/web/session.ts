import type { IncomingMessage } from 'node:http';
import type { Person, Users } from '../queue/users.js';
import { dashboardActor, type Actor } from '../users/actor.js';
import type { Role } from '../users/roles.js';
import { hashSecret, looksLikeSecret } from '../users/secret.js';
import { cookieValue, cookieName, type Credential } from './auth.js';
import { sameToken } from './token.js';

/** Who a request is: one of the dashboard's people, or whoever holds the install's token. */
export interface Session {
  via: Credential;
  /** The secret the request carried: a link's is remembered in the session cookie. */
  secret: string;
  /** Undefined for the install's token, which names nobody. */
  person: Person | undefined;
  role: Role;
  actor: Actor;
}

/** Why a request is not let in, for the 401 page. */
export type Refusal = 'no credential' | 'not valid' | 'token from afar';

const LOCAL_PEERS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function fromThisMachine(req: IncomingMessage): boolean {
  return LOCAL_PEERS.has(req.socket.remoteAddress ?? '');
}

/**
 * For a long-lived request (the live stream): whether its person is still signed in, i.e. not
 * removed and their link not replaced since. The install's token is never taken back.
 */
export function stillSignedIn(users: Users, person: Person | undefined): (() => boolean) | undefined {
  if (!person) return undefined;
  return () => users.get(person.name)?.linked_at === person.linked_at;
}

/**
 * The person (or token holder) behind a request. A link's `?token=` comes first, so opening a
 * new link signs the browser in as that person even if it held another cookie; a link that no
 * longer works is refused, not passed over for the cookie. The install's token was made for one
 * machine: from another it is refused, so a dashboard opened to the office lets in only people.
 */
export function identify(req: IncomingMessage, url: URL, token: string, port: number, users: Users): Session | Refusal {
  const query = url.searchParams.get('token');
  const auth = req.headers.authorization;
  const candidates: [Credential, string | undefined][] = query !== null
    ? [['query', query]]
    : [['bearer', auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined], ['cookie', cookieValue(req, cookieName(port))]];
  let seen = false;
  for (const [via, secret] of candidates) {
    if (!secret) continue;
    seen = true;
    if (sameToken(secret, token)) {
      if (!fromThisMachine(req)) return 'token from afar';
      return { via, secret, person: undefined, role: 'admin', actor: dashboardActor() };
    }
    // Hashed, then looked up: the hash of a 256-bit random secret tells a timer nothing useful.
    const person = looksLikeSecret(secret) ? users.bySecretHash(hashSecret(secret)) : undefined;
    if (person) return { via, secret, person, role: person.role, actor: dashboardActor(person.name) };
  }
  return seen ? 'not valid' : 'no credential';
}
