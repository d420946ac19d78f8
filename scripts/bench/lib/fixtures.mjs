// Where the invoices are: $DROPWORK_FIXTURES/invoices when set, else the repository's
// tests/fixtures/invoices (a clone carries them).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './daemon.mjs';

export function invoicesDir() {
  const candidates = [
    ...(process.env.DROPWORK_FIXTURES ? [path.resolve(process.env.DROPWORK_FIXTURES, 'invoices')] : []),
    path.join(ROOT, 'tests', 'fixtures', 'invoices'),
  ];
  const found = candidates.find((d) => fs.existsSync(d));
  if (!found) throw new Error(`no invoices in ${candidates.join(' or ')}; set DROPWORK_FIXTURES to the folder holding invoices/`);
  return found;
}
