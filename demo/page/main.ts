// The demo page: a player through peercdn, and what peers are doing for it, drawn once a second.
import { formatBytes, formatElapsed, formatRate, shortPeerId } from './format.ts';
import { History } from './history.ts';
import { PeerRows } from './peer-rows.ts';
import { renderChart } from './svg-chart.ts';
import { Viewer } from './viewer.ts';
import { addActivity, addSegmentBlock, byId, renderPeerRows, renderPlayerFacts, renderTiles } from './views.ts';

const SAMPLE_EVERY_MS = 1_000;
const OFFLOAD_NOW_WINDOW_MS = 15_000;
const RATE_WINDOW_MS = 4_000;
const SAMPLE_STREAMS: Readonly<Record<string, string>> = { vod: '/vod/master.m3u8', live: '/live/master.m3u8' };

/** What the query string asks for: a sample stream or any URL, and the tracker. */
function pageSettings(): { stream: string; source: string; trackerUrl: string } {
  const params = new URLSearchParams(location.search);
  const trackerUrl = params.get('tracker') ?? `ws://${location.hostname}:8081`;
  const url = params.get('src');
  if (url !== null && url !== '') return { stream: 'url', source: url, trackerUrl };
  // `mode` is the older name of `stream` (README links used it).
  const stream = params.get('stream') ?? params.get('mode') ?? 'vod';
  return SAMPLE_STREAMS[stream] === undefined
    ? { stream: 'vod', source: SAMPLE_STREAMS['vod'] as string, trackerUrl }
    : { stream, source: SAMPLE_STREAMS[stream], trackerUrl };
}

/** This page's URL with another stream (the tracker stays). */
function urlFor(change: { stream: string } | { src: string }): string {
  const url = new URL(location.href);
  for (const key of ['stream', 'mode', 'src']) url.searchParams.delete(key);
  if ('src' in change) url.searchParams.set('src', change.src);
  else url.searchParams.set('stream', change.stream);
  return url.href;
}

function wireControls(stream: string, source: string): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-stream]')) {
    const target = button.dataset['stream'] ?? 'vod';
    button.classList.toggle('active', target === stream);
    button.addEventListener('click', () => location.assign(urlFor({ stream: target })));
  }
  const form = byId('url-form', HTMLFormElement);
  const input = byId('url-input', HTMLInputElement);
  if (stream === 'url') {
    input.value = source;
    form.classList.add('active');
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim() !== '') location.assign(urlFor({ src: input.value.trim() }));
  });
  byId('script-tag-link', HTMLAnchorElement).search = location.search;
  byId('open-viewer', HTMLButtonElement).addEventListener('click', () => {
    // A window of its own, not a tab: browsers pause or throttle media in background tabs.
    const offset = 40 + Math.round(Math.random() * 200);
    window.open(location.href, '_blank', `popup,width=1280,height=900,left=${offset},top=${offset}`);
  });
}

function main(): void {
  const { stream, source, trackerUrl } = pageSettings();
  wireControls(stream, source);
  const video = byId('video', HTMLVideoElement);
  const viewer = new Viewer({
    source,
    trackerUrl,
    video,
    onSegment: addSegmentBlock,
    onFatalError: (message) => {
      const banner = byId('fatal', HTMLElement);
      banner.textContent = `The player stopped: ${message}. For another URL, the origin must allow this page (CORS).`;
      banner.hidden = false;
    },
  });
  byId('viewer-id', HTMLElement).textContent = shortPeerId(viewer.p2p.peerId);
  byId('viewer-id', HTMLElement).title = viewer.p2p.peerId;
  byId('tracker-url', HTMLElement).textContent = trackerUrl;
  const startedAtMs = performance.now();
  const history = new History();
  const peerRows = new PeerRows();
  history.add({ atMs: startedAtMs, httpBytes: 0, p2pBytes: 0, uploadedBytes: 0 });

  const tick = (): void => {
    const nowMs = performance.now();
    const stats = viewer.p2p.stats();
    history.add({
      atMs: nowMs,
      httpBytes: stats.httpBytes,
      p2pBytes: stats.p2pBytes,
      uploadedBytes: stats.uploadedBytes,
    });
    const rates = history.rates(RATE_WINDOW_MS);
    const latest = rates.at(-1);
    renderTiles({
      stats,
      offloadNow: history.offloadWithin(OFFLOAD_NOW_WINDOW_MS),
      offloadNowWindowSeconds: OFFLOAD_NOW_WINDOW_MS / 1000,
      offloadSinceStart: history.offloadSinceStart(),
      p2pBytesPerSecond: latest?.p2pBytesPerSecond ?? 0,
      httpBytesPerSecond: latest?.httpBytesPerSecond ?? 0,
      uploadedBytesPerSecond: latest?.uploadedBytesPerSecond ?? 0,
    });
    const samples = history.samples;
    const seconds = samples.map((sample) => (sample.atMs - startedAtMs) / 1000);
    renderChart(byId('chart-received', SVGSVGElement), {
      seconds,
      series: [
        { className: 'series-http', kind: 'area', values: samples.map((sample) => sample.httpBytes) },
        { className: 'series-peers', kind: 'area', values: samples.map((sample) => sample.p2pBytes) },
        { className: 'series-uploaded', kind: 'line', values: samples.map((sample) => sample.uploadedBytes) },
      ],
      formatValue: formatBytes,
      formatSeconds: formatElapsed,
      binaryUnits: true,
    });
    renderChart(byId('chart-rates', SVGSVGElement), {
      seconds,
      series: [
        { className: 'series-http', kind: 'area', values: rates.map((rate) => rate.httpBytesPerSecond) },
        { className: 'series-peers', kind: 'area', values: rates.map((rate) => rate.p2pBytesPerSecond) },
        { className: 'series-uploaded', kind: 'line', values: rates.map((rate) => rate.uploadedBytesPerSecond) },
      ],
      formatValue: formatRate,
      formatSeconds: formatElapsed,
      binaryUnits: true,
    });
    const { rows, changes } = peerRows.update(nowMs, viewer.p2p.peers());
    renderPeerRows(rows);
    addActivity(changes);
    renderPlayerFacts(viewer.rendition(), viewer.bufferAheadSeconds(), viewer.targetBufferSeconds);
  };
  const timer = setInterval(tick, SAMPLE_EVERY_MS);
  tick();
  // Leave the swarm at once when the window closes, so the others see this viewer go.
  window.addEventListener('pagehide', () => {
    clearInterval(timer);
    viewer.destroy();
  });
}

main();
