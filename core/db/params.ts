/** Collects positional parameters while a statement is written: `where x = ${p.add(v)}`. */
export class Params {
  readonly values: unknown[];

  constructor(values: unknown[] = []) {
    this.values = [...values];
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
