// Clicks and conversions per day or per hour as inline SVG: bars for clicks on the left axis, a
// line for conversions on the right one (they differ by orders of magnitude).

import { h, svg, fmt } from './dom.js';
import { bucketLabel } from './range.js';

const W = 760;
const H = 260;
const PAD = { top: 16, right: 48, bottom: 32, left: 48 };
const UNIT = { hour: 'hour', day: 'day' };

/** Whole-number ticks with a round step (1, 2, 5 × 10^n), at most 4 of them above zero. */
export function axisTicks(max) {
  if (max <= 0) return [0, 1];
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw));
  const ticks = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

/** `days`: the buckets of range.js fillBuckets (one per day or hour, oldest first); `grain`: 'day' or 'hour'. */
export function timeSeriesChart(days, grain = 'day') {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const clickTicks = axisTicks(Math.max(...days.map((d) => d.clicks)));
  const convTicks = axisTicks(Math.max(...days.map((d) => d.conversions)));
  const maxClicks = clickTicks[clickTicks.length - 1];
  const maxConv = convTicks[convTicks.length - 1];
  const step = iw / Math.max(days.length, 1);
  const barW = Math.max(Math.min(step * 0.7, 36), 1.5);
  const x = (i) => PAD.left + step * i + step / 2;
  const yC = (v) => PAD.top + ih - (v / maxClicks) * ih;
  const yV = (v) => PAD.top + ih - (v / maxConv) * ih;

  const grid = [
    ...clickTicks.map((v) => svg('g', {},
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yC(v), y2: yC(v), class: 'grid' }),
      svg('text', { x: PAD.left - 6, y: yC(v) + 4, 'text-anchor': 'end', class: 'axis axis-clicks' }, fmt.int(v)))),
    ...convTicks.map((v) => svg('text', { x: W - PAD.right + 6, y: yV(v) + 4, 'text-anchor': 'start', class: 'axis axis-conv' }, fmt.int(v))),
  ];

  // Label every n-th bucket counted back from the newest, so the newest always has its label.
  const labelEvery = Math.ceil(days.length / 8);
  const last = days.length - 1;
  const longSpan = grain === 'day' && days.length > 0 && days[0].key.slice(0, 4) !== days[last].key.slice(0, 4);
  const bars = days.map((d, i) => svg('g', { class: 'day', 'data-key': d.key },
    svg('title', {}, `${d.key}: ${d.clicks} clicks (${d.qualifiedClicks} qualified), ${d.conversions} conversions`),
    svg('rect', { x: x(i) - barW / 2, y: yC(d.clicks), width: barW, height: Math.max(PAD.top + ih - yC(d.clicks), 0), class: 'bar-clicks', rx: 2 }),
    svg('rect', { x: x(i) - barW / 2, y: yC(d.qualifiedClicks), width: barW, height: Math.max(PAD.top + ih - yC(d.qualifiedClicks), 0), class: 'bar-qualified', rx: 2 }),
    (last - i) % labelEvery === 0
      ? svg('text', { x: x(i), y: H - 10, 'text-anchor': 'middle', class: 'axis axis-x' }, bucketLabel(d.key, grain, longSpan))
      : null));

  const points = days.map((d, i) => `${x(i).toFixed(1)},${yV(d.conversions).toFixed(1)}`).join(' ');
  const line = svg('polyline', { points, class: 'line-conv', fill: 'none' });
  const dots = days.filter((d) => d.conversions > 0).map((d) => svg('circle', { cx: x(days.indexOf(d)), cy: yV(d.conversions), r: 3.5, class: 'dot-conv' }));

  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Clicks and conversions per ${UNIT[grain] ?? 'day'}`, class: 'chart', 'data-grain': grain, 'data-buckets': days.length },
    ...grid, ...bars, line, ...dots);
  const legend = h('div.legend', {},
    h('span.key.key-clicks', {}, 'Clicks'), h('span.key.key-qualified', {}, 'Qualified clicks'), h('span.key.key-conv', {}, 'Conversions (right axis)'));
  return h('figure.chart-wrap', {}, h('div.chart-scroll', {}, chart), legend);
}
