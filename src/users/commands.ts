import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { CliError, daemonState, printJson, table, withStore } from '../commands/shared.js';
import { localTime, zoneName } from '../human.js';
import type { Paths } from '../paths.js';
import type { Person } from '../queue/users.js';
import type { Store } from '../queue/store.js';
import { closest } from '../closest.js';
import { checkName } from './actor.js';
import { reachNote, signInLink } from './link.js';
import { isRole, ROLE_WORDS, ROLES, type Role } from './roles.js';
import { hashSecret, newSecret } from './secret.js';

/**
 * Offices add people to approve what waits for them; a read-only person is the exception and is
 * asked for with --role viewer.
 */
const DEFAULT_ROLE: Role = 'approver';

function role(raw: string | undefined): Role {
  const r = raw ?? DEFAULT_ROLE;
  if (!isRole(r)) throw new CliError(`"${r}" is not a role: say ${ROLES.join(', ')}`);
  return r;
}

function name(raw: string): string {
  const problem = checkName(raw, 'a person\'s name');
  if (problem) throw new CliError(problem);
  return raw.trim();
}

/** The port the running daemon's dashboard reports wins over config.yaml, as for `dropwork ui`. */
function linkFor(store: Store, p: Paths, secret: string): { link: string; note: string | undefined } {
  const config = loadConfig(p.configFile).config;
  const dashboard = daemonState(store, p)?.plugins.dashboard as { port?: number } | undefined;
  return { link: signInLink(config, dashboard?.port ?? config.port, secret), note: reachNote(config) };
}

function view(person: Person): Record<string, unknown> {
  return { name: person.name, role: person.role, added: new Date(person.created_at).toISOString(), link_made: new Date(person.linked_at).toISOString() };
}

function printLink(person: Person, made: string, link: string, note: string | undefined, json: boolean | undefined): void {
  if (json) return printJson({ ...view(person), link });
  const lines = [`${made} ${person.name} (${person.role}: ${ROLE_WORDS[person.role]}).`, `Their sign-in link, for them alone (it works until replaced with \`dropwork users link ${person.name}\`):`, `  ${link}`];
  if (note) lines.push(`note: ${note}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function usersAdd(raw: string, opts: { role?: string; json?: boolean }): void {
  const who = name(raw);
  const r = role(opts.role);
  withStore((store, p) => {
    const secret = newSecret();
    const person = store.users.add(who, r, hashSecret(secret));
    if (!person) throw new CliError(`${who} is already a user; a new link: dropwork users link ${who}; another role: dropwork users role ${who} ROLE`);
    const { link, note } = linkFor(store, p, secret);
    printLink(person, 'Added', link, note, opts.json);
  });
}

/** `no user ana` with the closest name, for a typo (issue 19: every name a command takes is checked). */
function noUser(store: Store, who: string): CliError {
  const hint = closest(who, store.users.list().map((u) => u.name));
  return new CliError(`no user ${who}${hint && hint !== who ? ` (did you mean ${hint}?)` : ''} (dropwork users list)`);
}

export function usersLink(raw: string, opts: { json?: boolean }): void {
  const who = name(raw);
  withStore((store, p) => {
    const secret = newSecret();
    const person = store.users.relink(who, hashSecret(secret));
    if (!person) throw noUser(store, who);
    const { link, note } = linkFor(store, p, secret);
    printLink(person, 'New link for', link, `${note ? `${note}; ` : ''}the old link, and every browser signed in with it, no longer works`, opts.json);
  });
}

export function usersRemove(raw: string): void {
  const who = name(raw);
  withStore((store) => {
    if (!store.users.remove(who)) throw noUser(store, who);
    const left = store.users.count();
    process.stdout.write(`removed ${who}; their link and sessions no longer work${left === 0 ? '\nno users are left: the dashboard is back to the install\'s own key, on this machine only' : ''}\n`);
  });
}

export function usersRole(raw: string, rawRole: string): void {
  const who = name(raw);
  const r = role(rawRole);
  withStore((store) => {
    const person = store.users.setRole(who, r);
    if (!person) throw noUser(store, who);
    process.stdout.write(`${who} is now ${r === 'viewer' ? 'a' : 'an'} ${r}: ${ROLE_WORDS[r]}\n`);
  });
}

export function usersList(opts: { json?: boolean }): void {
  withStore((store) => {
    const people = store.users.list();
    if (opts.json) return printJson(people.map(view));
    if (people.length === 0) return void process.stdout.write('no users: the dashboard opens with the install\'s own key (dropwork ui), on this machine only\nadd one: dropwork users add NAME [--role viewer|approver|admin]\n');
    process.stdout.write(table([['NAME', 'ROLE', `ADDED (${zoneName()})`, 'LINK MADE'], ...people.map((u) => [u.name, u.role, localTime(u.created_at), localTime(u.linked_at)])]));
  });
}

export function addUsersCommands(program: Command): void {
  const users = program.command('users').description('the people who may open the dashboard, each with a sign-in link of their own')
    .option('--json', 'as JSON').action(usersList);
  users.command('add').argument('<name>').description(`add a person and print their sign-in link (role: ${ROLES.join(', ')}; default ${DEFAULT_ROLE})`)
    .option('--role <role>', `viewer (${ROLE_WORDS.viewer}), approver (${ROLE_WORDS.approver}) or admin`, DEFAULT_ROLE)
    .option('--json', 'as JSON').action(usersAdd);
  users.command('list').description('the people and their roles (never their links)').option('--json', 'as JSON').action(usersList);
  users.command('link').argument('<name>').description('make a new sign-in link; the old one stops working').option('--json', 'as JSON').action(usersLink);
  users.command('role').argument('<name>').argument('<role>').description('change what a person may do').action(usersRole);
  users.command('remove').argument('<name>').description('remove a person: their link and sessions stop working').action(usersRemove);
}
