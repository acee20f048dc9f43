/**
 * `fn` of one string, its answers kept for up to `size` distinct arguments (the oldest forgotten
 * first), for work a click repeats on the same user agent: a regex over a ~110-character header costs
 * 0.4–2 µs, a Map look-up nothing. An argument longer than `maxKeyLength` is computed every time, so
 * junk headers cannot fill the memo. `fn` must be pure; null and other falsy answers are kept too.
 */
export function memoizeByString<T>(fn: (key: string) => T, opts: { size: number; maxKeyLength: number }): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    const known = memo.get(key);
    if (known !== undefined || memo.has(key)) return known as T;
    const value = fn(key);
    if (key.length <= opts.maxKeyLength) {
      // Insertion order makes the first key the oldest (FIFO is close enough to LRU for user agents).
      if (memo.size >= opts.size) memo.delete(memo.keys().next().value!);
      memo.set(key, value);
    }
    return value;
  };
}
