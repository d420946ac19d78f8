/**
 * Case-insensitive globs for `files:`. A pattern without a slash matches the file name alone
 * (so `*.pdf` finds PDFs in subfolders of a recursive inbox too); with a slash it matches the
 * path below the inbox. Supports `*`, `**`, `?`, `[abc]` and `{a,b}`.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inClass = false;
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (inClass) {
      if (c === ']') inClass = false;
      re += c === '\\' ? '\\\\' : c;
      continue;
    }
    switch (c) {
      case '*':
        if (glob[i + 1] === '*') {
          // `**/` spans any number of folders, including none.
          if (glob[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
        } else re += '[^/]*';
        break;
      case '?': re += '[^/]'; break;
      case '[': inClass = true; re += glob[i + 1] === '!' ? (i++, '[^') : '['; break;
      case '{': braceDepth++; re += '(?:'; break;
      case '}': if (braceDepth > 0) { braceDepth--; re += ')'; } else re += '\\}'; break;
      case ',': re += braceDepth > 0 ? '|' : ','; break;
      default: re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`, 'i');
}

export function globMatches(glob: string, relativePath: string): boolean {
  const subject = glob.includes('/') ? relativePath : relativePath.slice(relativePath.lastIndexOf('/') + 1);
  return globToRegExp(glob).test(subject);
}

/** Why a glob is unusable, or undefined. */
export function checkGlob(glob: string): string | undefined {
  if (glob.trim() === '') return 'is empty';
  try {
    globToRegExp(glob);
  } catch {
    return `"${glob}" is not a valid pattern`;
  }
  return undefined;
}
