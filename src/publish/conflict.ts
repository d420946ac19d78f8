import fs from 'node:fs';
import path from 'node:path';

/** "name.pdf" → "name (1).pdf", "name (2).pdf", … : the first free name in the folder. */
export function nextFreeName(dest: string): string {
  const dir = path.dirname(dest);
  const ext = path.extname(dest);
  const stem = path.basename(dest, ext);
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, `${stem} (${i})${ext}`);
    if (!fs.existsSync(candidate)) return candidate;
  }
}
