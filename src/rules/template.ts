/**
 * Templates for file and folder names: `{name}{ext}`, `{modified:YYYY}/{modified:MM}`.
 * Checked when the rule loads (so a typo is a located error, not a failed job) and rendered
 * per file.
 */

export interface TemplateVars {
  /** File name without its extension. */
  name: string;
  /** Extension with its dot, or "". */
  ext: string;
  rule: string;
  sha256: string;
  modified: Date;
  created: Date;
  now: Date;
}

const PLACEHOLDER = /\{([a-z0-9]+)(?::([^}]*))?\}/gi;
const KNOWN = new Set(['name', 'ext', 'rule', 'sha8', 'date', 'modified', 'created']);
const DATED = new Set(['date', 'modified', 'created']);
const FORMAT_TOKEN = /YYYY|YY|MM|DD|HH|mm|ss/g;

/** Why the template cannot work, or undefined when it is fine. */
export function checkTemplate(template: string): string | undefined {
  if (template.trim() === '') return 'is empty';
  for (const m of template.matchAll(PLACEHOLDER)) {
    const key = (m[1] ?? '').toLowerCase();
    if (!KNOWN.has(key)) return `unknown placeholder {${m[1]}}; known: {name} {ext} {rule} {sha8} {date} {modified:FORMAT} {created:FORMAT}`;
    if (m[2] !== undefined && !DATED.has(key)) return `{${key}} takes no format`;
    if (m[2] !== undefined && /\.\.|^[\\/]/.test(m[2])) return `format "${m[2]}" of {${key}} may not climb out of the outputs folder`;
    if (m[2] !== undefined && m[2].replace(FORMAT_TOKEN, '').match(/[A-Za-z]/)) {
      return `format "${m[2]}" of {${key}} may only use YYYY, YY, MM, DD, HH, mm, ss`;
    }
  }
  const unmatched = template.replace(PLACEHOLDER, '');
  if (unmatched.includes('{') || unmatched.includes('}')) return 'has an unclosed or stray brace';
  if (template.split(/[\\/]/).some((seg) => seg === '..')) return 'may not climb out of the outputs folder with ".."';
  return undefined;
}

/**
 * Why a rendered template may not be used, or undefined. What a template renders to is what
 * counts, not how it reads: `{date:../..}` or a value that renders to ".." must not climb out
 * of the outputs folder, and a relative template may not turn absolute.
 */
export function renderedProblem(template: string, rendered: string): string | undefined {
  if (rendered.includes('\0')) return `"${template}" rendered a name with a NUL character`;
  if (rendered.split(/[\\/]/).some((part) => part === '..')) return `"${template}" rendered "${rendered}", which climbs out of the outputs folder`;
  const absolute = (p: string): boolean => p.startsWith('/') || p.startsWith('\\') || /^[a-zA-Z]:/.test(p) || p.startsWith('~');
  if (!absolute(template) && absolute(rendered)) return `"${template}" rendered the absolute path "${rendered}"`;
  return undefined;
}

export function renderTemplate(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER, (_all, rawKey: string, format: string | undefined) => {
    switch (rawKey.toLowerCase()) {
      case 'name': return vars.name;
      case 'ext': return vars.ext;
      case 'rule': return vars.rule;
      case 'sha8': return vars.sha256.slice(0, 8);
      case 'date': return formatDate(vars.now, format ?? 'YYYY-MM-DD');
      case 'modified': return formatDate(vars.modified, format ?? 'YYYY-MM-DD');
      case 'created': return formatDate(vars.created, format ?? 'YYYY-MM-DD');
      default: return '';
    }
  });
}

/** Local time, because people sort their photos by the day on their own calendar. */
export function formatDate(d: Date, format: string): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return format.replace(FORMAT_TOKEN, (tok) => {
    switch (tok) {
      case 'YYYY': return pad(d.getFullYear(), 4);
      case 'YY': return pad(d.getFullYear() % 100);
      case 'MM': return pad(d.getMonth() + 1);
      case 'DD': return pad(d.getDate());
      case 'HH': return pad(d.getHours());
      case 'mm': return pad(d.getMinutes());
      default: return pad(d.getSeconds());
    }
  });
}
