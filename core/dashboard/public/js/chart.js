// Clicks and conversions per day or per hour as inline SVG: bars for clicks on the left axis, a
// line for conversions on the right one (they differ by orders of magnitude). Drawn at the width it
// is given in CSS pixels, so its text stays 11 px on a phone; when the buckets need more room than
// that, it scrolls sideways with both axes pinned to the edges.

import { h, svg, fmt } from './dom.js';
import { bucketLabel } from './range.js';

const DEFAULT_WIDTH = 760;
const H = 260;
const MIN_STEP = 2; // px per bucket: below it, the chart is drawn wider and scrolls
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

/**
 * `days`: the buckets of range.js fillBuckets (one per day or hour, oldest first); `grain`: 'day' or
 * 'hour'; `width`: the room it has, in CSS pixels (the container's clientWidth).
 */
export function timeSeriesChart(days, grain = 'day', { width = DEFAULT_WIDTH } = {}) {
  const room = Math.max(Math.round(width) || DEFAULT_WIDTH, 240);
  const W = Math.max(room, PAD.left + PAD.right + days.length * MIN_STEP);
  const wide = W > room;
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

  const leftAxis = (x0) => clickTicks.map((v) => svg('text', { x: x0 + PAD.left - 6, y: yC(v) + 4, 'text-anchor': 'end', class: 'axis axis-clicks' }, fmt.int(v)));
  const rightAxis = (x0) => convTicks.map((v) => svg('text', { x: x0 + 6, y: yV(v) + 4, 'text-anchor': 'start', class: 'axis axis-conv' }, fmt.int(v)));
  const grid = [
    ...clickTicks.map((v) => svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yC(v), y2: yC(v), class: 'grid' })),
    ...(wide ? [] : [...leftAxis(0), ...rightAxis(W - PAD.right)]),
  ];

  // Label every n-th bucket counted back from the newest, so the newest always has its label; as
  // many labels as fit (a "2025-11-26" needs more room than a "11-26"), 8 at most unless it scrolls.
  const last = days.length - 1;
  const longSpan = grain === 'day' && days.length > 0 && days[0].key.slice(0, 4) !== days[last].key.slice(0, 4);
  const labelRoom = longSpan ? 84 : 52;
  const fit = Math.max(1, Math.floor(iw / labelRoom));
  const labelEvery = Math.ceil(days.length / (wide ? fit : Math.min(8, fit)));
  // Scrolling, the end labels are kept off the pinned axes: the oldest starts at its bar, the newest ends there.
  const xLabel = (d, i) => {
    const [anchor, at] = wide && i === last ? ['end', x(i) + step / 2] : wide && i === 0 ? ['start', x(i) - step / 2] : ['middle', x(i)];
    return svg('text', { x: at, y: H - 10, 'text-anchor': anchor, class: 'axis axis-x' }, bucketLabel(d.key, grain, longSpan));
  };
  // …and a label that would then run into one of them is left out.
  const clearOfEnds = (i) => !wide || i === last || i === 0 || ((last - i) * step >= 1.5 * labelRoom && i * step >= 1.5 * labelRoom);
  const bars = days.map((d, i) => svg('g', { class: 'day', 'data-key': d.key },
    svg('title', {}, `${d.key}: ${d.clicks} clicks (${d.qualifiedClicks} qualified), ${d.conversions} conversions`),
    svg('rect', { x: x(i) - barW / 2, y: yC(d.clicks), width: barW, height: Math.max(PAD.top + ih - yC(d.clicks), 0), class: 'bar-clicks', rx: 2 }),
    svg('rect', { x: x(i) - barW / 2, y: yC(d.qualifiedClicks), width: barW, height: Math.max(PAD.top + ih - yC(d.qualifiedClicks), 0), class: 'bar-qualified', rx: 2 }),
    (last - i) % labelEvery === 0 && clearOfEnds(i) ? xLabel(d, i) : null));

  const points = days.map((d, i) => `${x(i).toFixed(1)},${yV(d.conversions).toFixed(1)}`).join(' ');
  const line = svg('polyline', { points, class: 'line-conv', fill: 'none' });
  const dots = days.filter((d) => d.conversions > 0).map((d) => svg('circle', { cx: x(days.indexOf(d)), cy: yV(d.conversions), r: 3.5, class: 'dot-conv' }));

  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Clicks and conversions per ${UNIT[grain] ?? 'day'}`,
    class: wide ? 'chart chart-wide' : 'chart', width: wide ? W : undefined, height: wide ? H : undefined, 'data-grain': grain, 'data-buckets': days.length },
    ...grid, ...bars, line, ...dots);
  const legend = h('div.legend', {},
    h('span.key.key-clicks', {}, 'Clicks'), h('span.key.key-qualified', {}, 'Qualified clicks'), h('span.key.key-conv', {}, 'Conversions (right axis)'));
  if (!wide) return h('figure.chart-wrap', {}, h('div.chart-scroll', {}, chart), legend);
  // Scrolling: the axes stay at the edges of the visible part, over the bars that pass under them.
  const pin = (side, w, texts) => svg('svg', { class: `chart chart-pin chart-pin-${side}`, width: w, height: H, viewBox: `0 0 ${w} ${H}`, 'aria-hidden': 'true' },
    svg('rect', { x: 0, y: 0, width: w, height: H, class: 'pin-bg' }), ...texts);
  return h('figure.chart-wrap', {},
    h('div.chart-frame', {}, h('div.chart-scroll', {}, chart), pin('left', PAD.left, leftAxis(0)), pin('right', PAD.right, rightAxis(0))),
    legend);
}
