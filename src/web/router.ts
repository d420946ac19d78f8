import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../users/actor.js';
import type { Role } from '../users/roles.js';
import type { Session } from './session.js';

export interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The `:name` parts of the route, decoded. */
  params: Record<string, string>;
  /** A POST's JSON body ({} for GET). */
  body: Record<string, unknown>;
  /** Who asks: the signed-in person, or the install's token (no name), for the history. */
  actor: Actor;
  /** The person, role and credential (the secret stays out of it). */
  session: Omit<Session, 'secret'>;
}

export type Handler = (r: Request) => void | Promise<void>;

interface Route {
  method: 'GET' | 'POST';
  parts: string[];
  handler: Handler;
  need: Role;
}

/**
 * Enough routing for a dozen endpoints: exact segments and `:name` placeholders. Each route says
 * the least role that may use it: reading needs a viewer, a change an approver, unless it says.
 */
export class Router {
  private readonly routes: Route[] = [];

  get(pattern: string, handler: Handler, need: Role = 'viewer'): this {
    return this.add('GET', pattern, handler, need);
  }

  post(pattern: string, handler: Handler, need: Role = 'approver'): this {
    return this.add('POST', pattern, handler, need);
  }

  private add(method: Route['method'], pattern: string, handler: Handler, need: Role): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, need });
    return this;
  }

  /** The handler for a request, 'wrong method' when only the path matches, or undefined. */
  find(method: string, pathname: string): { handler: Handler; params: Record<string, string>; need: Role } | 'wrong method' | undefined {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchParts(route.parts, parts);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params, need: route.need };
      pathMatched = true;
    }
    return pathMatched ? 'wrong method' : undefined;
  }
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const v = parts[i] as string;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(v);
      } catch {
        return undefined;
      }
    } else if (p !== v) {
      return undefined;
    }
  }
  return params;
}
