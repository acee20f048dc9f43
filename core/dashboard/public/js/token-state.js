// A token's state as its row shows it (handle tokens and partner tokens alike): revoked, expired or active.

import { badge } from './dom.js';

export const tokenState = (t) => (t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active');
const STATE_TONES = { active: 'good', revoked: 'muted', expired: 'warn' };

/** The state's badge. */
export const stateBadge = (state) => badge(state, STATE_TONES[state]);
