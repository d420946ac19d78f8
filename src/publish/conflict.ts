import fs from 'node:fs';
import path from 'node:path';

/** "name.pdf" with n = 2 → "name (2).pdf": how a taken name is told apart. */
export function numberedName(dest: string, n: number): string {
  const ext = path.extname(dest);
  return path.join(path.dirname(dest), `${path.basename(dest, ext)} (${n})${ext}`);
}

/** "name.pdf" → "name (1).pdf", "name (2).pdf", … : the first free name in the folder. */
export function nextFreeName(dest: string): string {
  for (let i = 1; ; i++) {
    const candidate = numberedName(dest, i);
    if (!fs.existsSync(candidate)) return candidate;
  }
}
