// Progress on stderr (stdout stays clean for data): redrawn in place on a terminal, periodic lines otherwise.

export interface Progress {
  /** Redraw with this text (throttled). */
  update(text: string): void;
  /** Final line, always printed. */
  done(text: string): void;
}

export function progress(opts: { intervalMs?: number; quiet?: boolean } = {}): Progress {
  const tty = Boolean(process.stderr.isTTY);
  // A log file gets a line every few seconds, a terminal a smooth redraw.
  const interval = opts.intervalMs ?? (tty ? 100 : 2000);
  // A terminal gets feedback at once; a log only once the work has taken a while.
  let last = tty ? 0 : Date.now();
  let width = 0;
  const write = (text: string, final: boolean) => {
    if (opts.quiet && !final) return;
    if (tty) {
      const pad = text.length < width ? ' '.repeat(width - text.length) : '';
      process.stderr.write(`\r${text}${pad}${final ? '\n' : ''}`);
      width = final ? 0 : text.length;
    } else {
      process.stderr.write(`${text}\n`);
    }
  };
  return {
    update(text) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      write(text, false);
    },
    done(text) {
      write(text, true);
    },
  };
}

/** `[########------------]  120/400` for work whose total is known. */
export function bar(done: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total}`;
}
