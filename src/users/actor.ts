import os from 'node:os';
import { CliError } from '../commands/shared.js';

/** Who did something to a job, as its history tells it. */
export interface Actor {
  /** The phrase the history reads: "by ana from the dashboard", "from the dashboard". */
  by: string;
  /** The person's name when known: a dashboard user, or the person at the command line. */
  who?: string | undefined;
}

/**
 * A dashboard action: by its signed-in person, or, on the install's shared token, as it always
 * read ("from the dashboard": the token names nobody).
 */
export function dashboardActor(person?: string): Actor {
  return person ? { by: `by ${person} from the dashboard`, who: person } : { by: 'from the dashboard' };
}

export const BY_HELP = 'who did it, for the job\'s history (default: your login name)';

/** A command-line action: `--by NAME`, else the account running the command. */
export function cliActor(given?: string): Actor {
  const problem = given === undefined ? undefined : checkName(given, '--by');
  if (problem) throw new CliError(problem);
  const who = given?.trim() || osUser();
  return who ? { by: `by ${who} from the command line`, who } : { by: 'by hand' };
}

/** What a step log row keeps of the actor (its data), so the page can show the name apart. */
export function actorData(a: Actor): { by: string } | undefined {
  return a.who ? { by: a.who } : undefined;
}

function osUser(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    // A container user with no passwd entry has no name to give.
    return process.env.USER || process.env.USERNAME || undefined;
  }
}

/** A name as the history may carry it: one short line, no control characters. */
export function checkName(name: string, what = 'a name'): string | undefined {
  const n = name.trim();
  if (!n) return `${what} cannot be empty`;
  if (n.length > 64) return `${what} is at most 64 characters`;
  if (/[\p{Cc}\p{Cf}]/u.test(n)) return `${what} cannot hold control characters`;
  return undefined;
}
