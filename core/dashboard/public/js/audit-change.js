// What an audit event's payload changed, in words: the dashboard's audit log (page-audit.js) and `tenx audit list`
// (scripts/cli/audit.ts) say it the same way. No DOM: Node imports it too.

/** A commission's move (commission.status_changed): `pending → rejected: coupon abuse (follows_commission)`. */
export function statusChange(p, arrow = '→') {
  return `${p.from} ${arrow} ${p.to}${p.reason ? `: ${p.reason}` : ''}${p.via && p.via !== 'manual' ? ` (${p.via})` : ''}`;
}

/** A value in a change line: nested ones (a plugin's settings, routing rules) as JSON, cut at 80 characters. */
export function shownValue(v) {
  if (v === undefined || v === null) return '—';
  const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/**
 * A payload of `before` and `after` objects (partner.updated, campaign.*, plugin.settings_changed): each field that
 * differs, from → to (only plain fields were shown, and these are nested). Null for any other payload.
 */
export function beforeAfter(p, arrow = '→') {
  if (!p.before || !p.after || typeof p.before !== 'object' || typeof p.after !== 'object') return null;
  const keys = [...new Set([...Object.keys(p.before), ...Object.keys(p.after)])];
  const changed = keys.filter((k) => JSON.stringify(p.before[k]) !== JSON.stringify(p.after[k]));
  return changed.length ? changed.map((k) => `${k} ${shownValue(p.before[k])} ${arrow} ${shownValue(p.after[k])}`).join(' · ') : 'saved unchanged';
}

/**
 * A repeat's `changes` (conversion.mismatch: {field: {original, submitted}}; conversion.reversal_mismatch: {field:
 * submitted}): what the repeat sent against what stands, with the key it reused. Null for any other payload.
 */
export function submittedChanges(p, arrow = '→') {
  if (!p.changes || typeof p.changes !== 'object') return null;
  // A conversion's repeat records both sides; a reversal's only what was sent.
  const both = (c) => c !== null && typeof c === 'object' && 'original' in c && 'submitted' in c;
  const changed = Object.entries(p.changes).map(([k, c]) => (both(c) ? `${k} ${shownValue(c.original)} ${arrow} ${shownValue(c.submitted)} (sent)` : `${k} ${shownValue(c)} (sent)`));
  const key = p.idempotencyKey ?? p.reversalKey;
  return [key !== undefined ? `key ${shownValue(key)}` : null, ...changed].filter(Boolean).join(' · ');
}
