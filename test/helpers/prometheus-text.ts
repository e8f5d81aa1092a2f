/** The value of one series in Prometheus text, e.g. `peercdn_tracker_peers` or `x_total{reason="not-json"}`; undefined if absent. */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
