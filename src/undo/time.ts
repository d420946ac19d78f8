/**
 * A point in time as people type it for `rules revert --since`: "2026-11-30 14:00" (local
 * time), "2026-11-30", an ISO time, "2h" / "30m" / "3d" ago, "today", "yesterday".
 */
export function parseWhen(raw: string, now = new Date()): number | undefined {
  const text = raw.trim().toLowerCase();
  const ago = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/.exec(text);
  if (ago) {
    const unit = { m: 60e3, min: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[ago[2] as 'm' | 'min' | 'h' | 'd' | 'w'];
    return now.getTime() - Number(ago[1]) * unit;
  }
  if (text === 'now') return now.getTime();
  if (text === 'today' || text === 'yesterday') {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    if (text === 'yesterday') d.setDate(d.getDate() - 1);
    return d.getTime();
  }
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (local) {
    const [, y, mo, d, h, mi, s] = local.map((v) => (v === undefined ? undefined : Number(v)));
    const t = new Date(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
    return Number.isNaN(t.getTime()) || t.getMonth() !== (mo ?? 1) - 1 ? undefined : t.getTime();
  }
  const iso = Date.parse(raw);
  return Number.isNaN(iso) ? undefined : iso;
}
