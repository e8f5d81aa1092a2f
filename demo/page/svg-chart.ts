// A small SVG time chart: stacked areas plus lines over a shared time axis, nice round ticks.
// Hand-written instead of a charting library: two charts need ~150 lines, not 40+ KiB.

export interface ChartSeries {
  /** CSS class of the drawn path (colours live in the page's stylesheet). */
  readonly className: string;
  readonly values: readonly number[];
  /** Areas stack on each other in order; lines are drawn on top, unstacked. */
  readonly kind: 'area' | 'line';
}

export interface ChartData {
  /** Seconds since the page started, one per value of every series; increasing. */
  readonly seconds: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly formatValue: (value: number) => string;
  readonly formatSeconds: (seconds: number) => string;
  /** Round the value axis in powers of 1024 (bytes), not 10. */
  readonly binaryUnits?: boolean;
}

const SVG = 'http://www.w3.org/2000/svg';
const DEFAULT_WIDTH = 640;
const DEFAULT_HEIGHT = 190;
const PAD = { left: 64, right: 12, top: 12, bottom: 26 } as const;
const Y_TICKS = 4;
const X_STEPS_SECONDS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The smallest 1-2-2.5-5 × 10^k step that splits `max` into at most `count` parts. */
export function niceStep(max: number, count: number): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= raw) return factor * power;
  return 10 * power;
}

/**
 * Draw `data` into `svg` at its size on screen (so text stays 11 px), replacing what was there.
 * Sets `data-points` to the number of samples drawn.
 */
export function renderChart(svg: SVGSVGElement, data: ChartData): void {
  const box = svg.getBoundingClientRect();
  const width = Math.round(box.width) || DEFAULT_WIDTH;
  const height = Math.round(box.height) || DEFAULT_HEIGHT;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const { seconds } = data;
  const count = seconds.length;
  svg.dataset['points'] = String(count);
  const plotWidth = width - PAD.left - PAD.right;
  const plotHeight = height - PAD.top - PAD.bottom;
  const lastSecond = Math.max(seconds.at(-1) ?? 0, 30);
  const firstSecond = seconds[0] ?? 0;

  // Stack the areas; lines stay as they are.
  const stacked: { series: ChartSeries; tops: number[]; bottoms: number[] }[] = [];
  let base: number[] = new Array<number>(count).fill(0);
  let maxValue = 0;
  for (const series of data.series) {
    const own = seriesValues(series, count);
    const tops = series.kind === 'area' ? own.map((value, index) => value + (base[index] ?? 0)) : own;
    stacked.push({ series, tops, bottoms: series.kind === 'area' ? base : [] });
    if (series.kind === 'area') base = tops;
    maxValue = Math.max(maxValue, ...tops);
  }
  const unit =
    data.binaryUnits === true && maxValue > 0
      ? 1024 ** Math.max(0, Math.floor(Math.log(maxValue) / Math.log(1024)))
      : 1;
  const step = niceStep(maxValue / unit, Y_TICKS) * unit;
  const top = Math.max(step, Math.ceil(maxValue / step) * step);
  const x = (second: number): number =>
    PAD.left + ((second - firstSecond) / Math.max(1, lastSecond - firstSecond)) * plotWidth;
  const y = (value: number): number => PAD.top + plotHeight - (value / top) * plotHeight;

  for (let value = 0; value <= top + step / 2; value += step) {
    svg.append(element('line', { class: 'grid', x1: PAD.left, x2: width - PAD.right, y1: y(value), y2: y(value) }));
    svg.append(
      text(data.formatValue(value), { class: 'tick', x: PAD.left - 8, y: y(value) + 4, 'text-anchor': 'end' }),
    );
  }
  const xStep = X_STEPS_SECONDS.find((candidate) => (lastSecond - firstSecond) / candidate <= 6) ?? 7200;
  for (let second = Math.ceil(firstSecond / xStep) * xStep; second <= lastSecond; second += xStep) {
    svg.append(
      text(data.formatSeconds(second), { class: 'tick', x: x(second), y: height - 6, 'text-anchor': 'middle' }),
    );
  }
  if (count < 2) return;
  const points = (values: readonly number[]): string[] =>
    seconds.map((second, index) => `${x(second).toFixed(1)},${y(values[index] ?? 0).toFixed(1)}`);
  const areas = stacked.filter(({ series }) => series.kind === 'area');
  for (const { series, tops, bottoms } of areas) {
    const floor = points(bottoms).reverse();
    svg.append(
      element('path', { class: `area ${series.className}`, d: `M${points(tops).join('L')}L${floor.join('L')}Z` }),
    );
  }
  // Edges from the top of the stack down: where an upper area is empty, the lower edge shows.
  for (const { series, tops } of [...areas].reverse()) {
    svg.append(element('path', { class: `edge ${series.className}`, d: `M${points(tops).join('L')}` }));
  }
  for (const { series, tops } of stacked) {
    if (series.kind === 'line')
      svg.append(element('path', { class: `line ${series.className}`, d: `M${points(tops).join('L')}` }));
  }
}

function seriesValues(series: ChartSeries, count: number): number[] {
  const values = series.values.slice(0, count).map((value) => (Number.isFinite(value) ? Math.max(0, value) : 0));
  while (values.length < count) values.push(0);
  return values;
}

function element(name: string, attributes: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

function text(content: string, attributes: Record<string, string | number>): SVGElement {
  const node = element('text', attributes);
  node.textContent = content;
  return node;
}
