// Small numeric and printing helpers shared by the benchmark sections.

/** The p-th percentile (0-100) by the nearest-rank method; NaN for no samples. */
export function percentile(values, p) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function ms(value) {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(0)} ms`;
}

export function seconds(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)} s` : 'n/a';
}

export function mb(kb) {
  return Number.isFinite(kb) && kb > 0 ? `${(kb / 1024).toFixed(0)} MB` : 'n/a';
}

export function perSecond(value) {
  return Number.isFinite(value) ? `${Math.round(value).toLocaleString('en-US')}/s` : 'n/a';
}

export function ratio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '';
}

/** PASS / MISS for a goal; `info` rows have none. */
export function verdict(ok) {
  if (ok === undefined) return 'info';
  return ok ? 'PASS' : 'MISS';
}

/** A plain text table: first row is the header; columns padded to their widest cell. */
export function printTable(rows, out = process.stdout) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ').trimEnd();
  out.write(line(rows[0]) + '\n');
  out.write(widths.map((w) => '-'.repeat(w)).join('-|-') + '\n');
  for (const r of rows.slice(1)) out.write(line(r) + '\n');
}
