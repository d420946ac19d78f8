import fs from 'node:fs';
import path from 'node:path';

/** Most file systems (ext4, APFS, NTFS, btrfs) take names of at most 255 bytes. */
export const NAME_MAX_BYTES = 255;

/**
 * `name` cut to at most `maxBytes` of UTF-8, keeping its extension and ending the stem on a
 * character boundary (a cut inside a multibyte character would make a name that is not UTF-8).
 * `extra` is what will be put between stem and extension, e.g. " (1)".
 */
export function fitName(name: string, maxBytes = NAME_MAX_BYTES, extra = ''): string {
  let ext = path.extname(name);
  let stem = name.slice(0, name.length - ext.length);
  if (Buffer.byteLength(ext) + Buffer.byteLength(extra) >= maxBytes) {
    // An "extension" that leaves no room for a stem is part of the name: cut it like one.
    stem = name;
    ext = '';
  }
  const room = maxBytes - Buffer.byteLength(ext) - Buffer.byteLength(extra);
  let used = 0;
  let cut = '';
  for (const ch of stem) {
    const n = Buffer.byteLength(ch);
    if (used + n > room) break;
    used += n;
    cut += ch;
  }
  return `${cut}${extra}${ext}`;
}

/**
 * "name.pdf" with n = 2 → "name (2).pdf": how a taken name is told apart. A name already near
 * the 255-byte limit has its stem shortened so the numbered one still fits.
 */
export function numberedName(dest: string, n: number): string {
  return path.join(path.dirname(dest), fitName(path.basename(dest), NAME_MAX_BYTES, ` (${n})`));
}

/** "name.pdf" → "name (1).pdf", "name (2).pdf", … : the first free name in the folder. */
export function nextFreeName(dest: string): string {
  for (let i = 1; ; i++) {
    const candidate = numberedName(dest, i);
    if (!fs.existsSync(candidate)) return candidate;
  }
}
