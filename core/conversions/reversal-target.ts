// Which conversion a reversal names: by its merchant's key (API.md) or by its id (what the lists return).

/** The conversion a reversal names, by its merchant's key (the newest with it) or by its id: $1 handle, $2 the key or id. */
export const CONVERSION_NAMED = {
  key: 'select * from conversions where handle = $1 and idempotency_key = $2 order by created_at desc limit 1',
  id: 'select * from conversions where handle = $1 and conversion_id = $2::uuid',
};
