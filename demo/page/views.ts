// What the page draws from one sample: tiles, player facts, the peer table, segment strip, activity.
import type { PeerCDNStats, SegmentLoadedEvent } from '../../lib/index.ts';
import { formatBytes, formatDuration, formatRate, formatShare, peerHue, shortPeerId } from './format.ts';
import type { PeerChange, PeerRow } from './peer-rows.ts';
import type { Rendition } from './viewer.ts';

const MAX_SEGMENT_BLOCKS = 60;
const MAX_ACTIVITY_ITEMS = 8;

/** The element with this id, of this type; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement | SVGSVGElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`demo page: no #${id}`);
  return found;
}

function setTile(name: string, value: string, note: string, number?: number): void {
  const tile = document.querySelector<HTMLElement>(`[data-tile="${name}"]`);
  if (tile === null) return;
  const valueElement = tile.querySelector('.value');
  const noteElement = tile.querySelector('.note');
  if (valueElement !== null) valueElement.textContent = value;
  if (noteElement !== null) noteElement.textContent = note;
  if (number !== undefined) tile.dataset['number'] = String(number);
}

export interface TileFigures {
  readonly stats: PeerCDNStats;
  readonly offloadNow: number | null;
  readonly offloadNowWindowSeconds: number;
  readonly offloadSinceStart: number | null;
  readonly p2pBytesPerSecond: number;
  readonly httpBytesPerSecond: number;
  readonly uploadedBytesPerSecond: number;
}

export function renderTiles(figures: TileFigures): void {
  const { stats } = figures;
  setTile(
    'offload-now',
    formatShare(figures.offloadNow),
    figures.offloadNow === null
      ? `nothing loaded in ${figures.offloadNowWindowSeconds} s`
      : `of bytes in the last ${figures.offloadNowWindowSeconds} s came from peers`,
  );
  setTile('offload-total', formatShare(figures.offloadSinceStart), 'of all bytes received, since this page opened');
  setTile(
    'p2p',
    formatBytes(stats.p2pBytes),
    `${stats.segmentsFromPeers} segments · ${formatRate(figures.p2pBytesPerSecond)}`,
    stats.p2pBytes,
  );
  setTile(
    'http',
    formatBytes(stats.httpBytes),
    `${stats.segmentsFromHttp} segments · ${formatRate(figures.httpBytesPerSecond)}`,
    stats.httpBytes,
  );
  setTile(
    'uploaded',
    formatBytes(stats.uploadedBytes),
    `to other viewers · ${formatRate(figures.uploadedBytesPerSecond)}`,
    stats.uploadedBytes,
  );
  setTile(
    'peers',
    String(stats.connectedPeers),
    stats.peerFallbacks > 0 ? `${stats.peerFallbacks} peer loads fell back to HTTP` : 'other viewers connected',
    stats.connectedPeers,
  );
}

export function renderPlayerFacts(
  rendition: Rendition | null,
  bufferSeconds: number,
  targetBufferSeconds: number,
): void {
  byId('rendition', HTMLElement).textContent =
    rendition === null
      ? 'loading…'
      : `${rendition.height}p · ${Math.round(rendition.bitsPerSecond / 1000)} kb/s${rendition.automatic ? ` · auto (${rendition.count} renditions)` : ''}`;
  byId('buffer-text', HTMLElement).textContent = `${bufferSeconds.toFixed(1)} s ahead`;
  const share = Math.min(1, bufferSeconds / Math.max(1, targetBufferSeconds));
  byId('buffer-fill', HTMLElement).style.width = `${(share * 100).toFixed(1)}%`;
}

export function renderPeerRows(rows: readonly PeerRow[]): void {
  const body = byId('peer-rows', HTMLElement);
  const existing = new Map(
    [...body.querySelectorAll<HTMLTableRowElement>('tr[data-peer]')].map((row) => [row.dataset['peer'] ?? '', row]),
  );
  for (const row of rows) {
    let tr = existing.get(row.peerId);
    existing.delete(row.peerId);
    if (tr === undefined) {
      tr = document.createElement('tr');
      tr.dataset['peer'] = row.peerId;
      tr.innerHTML =
        '<td class="peer-id"><span class="dot"></span><code></code></td><td class="num received"></td><td class="num sent"></td><td class="num down"></td><td class="num up"></td><td class="num since"></td><td class="num renditions"></td>';
      const dot = tr.querySelector<HTMLElement>('.dot');
      if (dot !== null) dot.style.background = `hsl(${peerHue(row.peerId)} 70% 60%)`;
      const code = tr.querySelector('code');
      if (code !== null) {
        code.textContent = shortPeerId(row.peerId);
        code.title = row.peerId;
      }
      body.append(tr);
    }
    tr.className = `peer-${row.state}`;
    const cell = (name: string, value: string): void => {
      const td = tr.querySelector(`.${name}`);
      if (td !== null) td.textContent = value;
    };
    cell('received', formatBytes(row.receivedBytes));
    cell('sent', formatBytes(row.sentBytes));
    cell('down', row.state === 'left' ? '–' : formatRate(row.receiveBytesPerSecond));
    cell('up', row.state === 'left' ? '–' : formatRate(row.sendBytesPerSecond));
    cell('since', row.state === 'left' ? 'left' : formatDuration(row.connectedForMs));
    cell('renditions', row.state === 'left' ? '–' : String(row.renditions));
    tr.dataset['receivedBytes'] = String(row.receivedBytes);
  }
  for (const stale of existing.values()) stale.remove();
  byId('peer-empty', HTMLElement).hidden = rows.length > 0;
}

export function addSegmentBlock(event: SegmentLoadedEvent): void {
  const strip = byId('segments', HTMLElement);
  const block = document.createElement('span');
  block.className = `segment from-${event.source}`;
  const from =
    event.source === 'peer' && event.peerId !== null
      ? `peer ${shortPeerId(event.peerId)}`
      : event.source === 'http'
        ? 'HTTP'
        : 'cache';
  block.title = `segment ${event.sequenceNumber} · ${formatBytes(event.byteLength)} from ${from} in ${Math.round(event.durationMs)} ms`;
  strip.append(block);
  while (strip.childElementCount > MAX_SEGMENT_BLOCKS) strip.firstElementChild?.remove();
}

export function addActivity(changes: readonly PeerChange[]): void {
  const list = byId('activity', HTMLElement);
  for (const change of changes) {
    const item = document.createElement('li');
    item.className = `activity-${change.kind}`;
    const time = document.createElement('time');
    time.textContent = new Date(performance.timeOrigin + change.atMs).toLocaleTimeString([], { hour12: false });
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.style.background = `hsl(${peerHue(change.peerId)} 70% 60%)`;
    item.append(time, dot, ` peer ${shortPeerId(change.peerId)} ${change.kind === 'joined' ? 'connected' : 'left'}`);
    list.prepend(item);
  }
  while (list.childElementCount > MAX_ACTIVITY_ITEMS) list.lastElementChild?.remove();
}
