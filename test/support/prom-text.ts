// A strict reader of the Prometheus text exposition format (0.0.4), checking what `promtool check
// metrics` rejects: bad names or labels, a sample before its TYPE, a family declared twice or split,
// a duplicate series, a value that is not a float, a histogram without its +Inf bucket.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
// As Prometheus reads a value (Go's strconv.ParseFloat): Inf, Infinity and NaN in any case. prom-client writes NaN as
// "Nan" (an event-loop lag mean with no sample since the last scrape): two scrapes close together failed here.
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|[nN][aA][nN])$/;
/** A value VALUE accepts, as a number. */
function numberOf(text: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (!special) return Number(text);
  return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
}

const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"`);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

function labelsOf(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest) {
    const m = PAIR.exec(rest);
    if (!m) throw new Error(`bad labels: ${line}`);
    if (m[1] in labels) throw new Error(`duplicate label ${m[1]}: ${line}`);
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    rest = rest.slice(m[0].length);
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (rest) throw new Error(`bad labels: ${line}`);
  }
  return labels;
}

/** Parses the text or throws naming the first line that breaks the format. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: Family | null = null;
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      let f = families.get(name);
      if (f && f !== current) throw new Error(`family ${name} is split: ${line}`);
      if (!f) families.set(name, (f = { name, type: '', help: '', samples: [] }));
      if (kind === 'TYPE') {
        if (f.type || f.samples.length) throw new Error(`TYPE repeated or after samples: ${line}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`unknown type: ${line}`);
        f.type = rest;
      } else {
        if (f.help) throw new Error(`HELP repeated: ${line}`);
        f.help = rest;
      }
      current = f;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m || !VALUE.test(m[3])) throw new Error(`bad sample: ${line}`);
    const [, name, rawLabels = ''] = m;
    const suffix = current ? name.slice(current.name.length) : '';
    if (!current || !name.startsWith(current.name) || !(SUFFIXES[current.type] ?? ['']).includes(suffix)) {
      throw new Error(`sample outside its family (TYPE first): ${line}`);
    }
    const labels = labelsOf(rawLabels, line);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (series.has(key)) throw new Error(`duplicate series: ${line}`);
    series.add(key);
    current.samples.push({ name, labels, value: numberOf(m[3]) });
  }
  for (const f of families.values()) {
    if (!f.type) throw new Error(`family ${f.name} has no TYPE`);
    if (f.type === 'counter' && !f.name.endsWith('_total') && f.name.startsWith('tenx_')) throw new Error(`counter ${f.name} should end in _total`);
    if (f.type === 'histogram') {
      const infs = f.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.le === '+Inf');
      const counts = f.samples.filter((s) => s.name.endsWith('_count'));
      if (infs.length !== counts.length) throw new Error(`histogram ${f.name} lacks a +Inf bucket per series`);
    }
  }
  return families;
}

/** The value of one series (0 when absent: a counter not incremented yet). */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const s = family?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}
