import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isInside } from '../rules/match.js';
import type { Rule } from '../rules/rule.js';

/**
 * Whether dropwork may create an inbox that does not exist. Only inside its own home: a rule
 * naming ~/Dropbox/Scans before Dropbox is set up must not leave an empty folder there, where
 * Dropbox would later find a conflict, or a person a folder nobody made.
 */
export function mayCreateInbox(folder: string, home: string): boolean {
  return folder === home || isInside(folder, home);
}

/** "inbox ~/Dropbox/Scans does not exist", or undefined when it does or dropwork will make it. */
export function missingInbox(folder: string, home: string): string | undefined {
  if (fs.existsSync(folder) || mayCreateInbox(folder, home)) return undefined;
  return `inbox ${tildify(folder)} does not exist`;
}

/** Every watched folder of these rules that is missing, with the sentence that says so. */
export function missingInboxes(rules: Rule[], home: string): { rule: string; file: string; line: number; inbox: string; message: string }[] {
  return rules.flatMap((r) => r.watch.flatMap((w) => {
    const message = missingInbox(w, home);
    return message ? [{ rule: r.name, file: r.source.file, line: r.source.line, inbox: w, message: `${message}; dropwork starts watching it when it appears` }] : [];
  }));
}

export function tildify(p: string): string {
  const userHome = process.env.HOME || os.homedir();
  return p === userHome ? '~' : isInside(p, userHome) ? path.join('~', path.relative(userHome, p)) : p;
}
