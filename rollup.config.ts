import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import type { Plugin, RollupOptions } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANGLED_PROPERTIES } from './mangled-properties.ts';

const REPO = fileURLToPath(new URL('./', import.meta.url));
// hls.js is the one import left in the browser bundles (a peer dependency); the tracker package
// keeps its own runtime dependencies (and Node built-ins) as imports.
const isHls = (id: string): boolean => id === 'hls.js' || id.startsWith('hls.js/');
const TRACKER_DEPENDENCIES = Object.keys(
  (
    JSON.parse(readFileSync(new URL('./tracker/package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    }
  ).dependencies,
);
const isTrackerDependency = (id: string): boolean =>
  id.startsWith('node:') || TRACKER_DEPENDENCIES.some((name) => id === name || id.startsWith(`${name}/`));

// node-resolve skips a package's `"browser": {"./file.js": false}` entries when the package
// also has an `exports` map (bittorrent-tracker does): honour them here, or Node-only trackers
// (HTTP/UDP, socks) end up in the browser bundle.
function browserFalseMappings(): Plugin {
  const EMPTY = '\0browser-empty';
  const packageRootOf = (file: string): string | null => {
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, 'package.json'))) return dir;
    }
    return null;
  };
  return {
    name: 'browser-false-mappings',
    resolveId(source, importer) {
      if (importer === undefined || !importer.includes('node_modules') || !source.startsWith('.')) return null;
      const root = packageRootOf(importer);
      if (root === null) return null;
      const browser = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { browser?: unknown }).browser;
      if (typeof browser !== 'object' || browser === null) return null;
      const key = `./${relative(root, join(dirname(importer), source))}`;
      return (browser as Record<string, unknown>)[key] === false ? EMPTY : null;
    },
    load(id) {
      return id === EMPTY ? 'export default {};' : null;
    },
  };
}

// The browser dependencies' own dependencies that the bundles replace with small shims of
// exactly what they use (lib/shims/: measured bytes and behaviour in bench/README.md and
// test/unit/stream-shims.test.ts). bittorrent-tracker's and simple-peer's code stays as it is.
const SHIMS: Record<string, string> = {
  streamx: 'lib/shims/duplex.ts',
  events: 'lib/shims/event-emitter.ts',
  debug: 'lib/shims/debug.ts',
  once: 'lib/shims/once.ts',
  'queue-microtask': 'lib/shims/queue-microtask.ts',
  'webrtc-polyfill': 'lib/shims/webrtc-globals.ts',
  ws: 'lib/shims/websocket.ts',
  'uint8-util': 'lib/shims/uint8.ts',
  'err-code': 'lib/shims/err-code.ts',
  'run-parallel': 'lib/shims/run-parallel.ts',
  // bittorrent-tracker's tracker socket: its own small socket instead of a Duplex stream.
  '@thaunknown/simple-websocket': 'lib/shims/tracker-socket.ts',
};

// Dead branches of the bundled libraries, cut at build time (each found exactly where expected,
// or the build fails, so a changed library is noticed): simple-peer's getStats for Chrome < 58
// and React Native (a callback API and `goog*` stats: the bundles need ES2022, Chrome 94+;
// Chromium and node-datachannel both take the standard path), its unread peer addresses, and
// bittorrent-tracker's debug calls, whose logger is off (lib/shims/debug.ts) but whose renamed
// `debug` escapes terser's pure_funcs: marked pure, so their message strings go; the tracker
// client's scrape. ~0.7 KiB gzip.
// simple-peer still connects in Chromium: test/browser/p2p-playback.test.ts, pack.test.ts.
const SIMPLE_PEER = '@thaunknown/simple-peer/lite.js';
const TRACKER_CLIENT = 'bittorrent-tracker/client.js';
const WEBSOCKET_TRACKER = 'bittorrent-tracker/lib/client/websocket-tracker.js';
// `count`: how many times a global regex must match (each place the trimmed code is used).
const LIBRARY_TRIMS: readonly {
  readonly file: string;
  readonly from: string | RegExp;
  readonly to: string;
  readonly count?: number;
}[] = [
  { file: SIMPLE_PEER, from: 'if (this._pc.getStats.length === 0 || this._isReactNativeWebrtc) {', to: 'if (true) {' },
  // Once the selected candidate pair is found, simple-peer copies its addresses and ports onto the
  // peer (`remoteAddress`...), which nothing here reads: it only notes that the pair was found.
  {
    file: SIMPLE_PEER,
    from: 'foundSelectedCandidatePair = true',
    to: 'foundSelectedCandidatePair = true; return',
  },
  {
    file: SIMPLE_PEER,
    from: "(item.type === 'googCandidatePair' && item.googActiveConnection === 'true') ||",
    to: 'false ||',
  },
  // A remote `transceiverRequest` (media only) calls addTransceiver, which the lite build lacks: a
  // hostile answer relayed by a tracker that passes unknown keys would throw in the tracker
  // client's message handler. Data-channel peers never add transceivers: the branch goes.
  { file: SIMPLE_PEER, from: 'if (data.transceiverRequest && this.initiator) {', to: 'if (false) {' },
  // With no ICE servers configured only host candidates exist, gathered at once; without trickle
  // (bittorrent-tracker's way) simple-peer still waits for the end of gathering, which Chromium
  // signals ~120 ms later idle and several hundred ms later on a busy machine, on both sides of
  // every connection. Then an offer or answer goes 40 ms after the first candidate instead (neither
  // client passes its own iceCompleteTimeout).
  {
    file: SIMPLE_PEER,
    from: 'this.iceCompleteTimeout = opts.iceCompleteTimeout || ICECOMPLETE_TIMEOUT',
    to: 'this.iceCompleteTimeout = this.config.iceServers[0] ? ICECOMPLETE_TIMEOUT : 40',
  },
  // Events nobody listens to (neither bittorrent-tracker's client nor lib/): their emits go.
  { file: SIMPLE_PEER, from: "this.emit('iceStateChange', iceConnectionState, iceGatheringState)", to: '' },
  { file: SIMPLE_PEER, from: "this.emit('signalingStateChange', this._pc.signalingState)", to: '' },
  { file: SIMPLE_PEER, from: "this.emit('negotiated')", to: '' },
  { file: SIMPLE_PEER, from: "this.emit('iceTimeout')", to: '' },
  // simple-peer's logger (its `_id` exists only for it) and media-track bookkeeping the lite
  // build never fills (it has no addTrack/removeTrack); its React Native and old-Chrome getStats
  // shapes (a `values` array in each report): the standard getStats path is the only one left.
  { file: SIMPLE_PEER, from: 'this._id = arr2hex(randomBytes(4)).slice(0, 7)', to: '' },
  { file: SIMPLE_PEER, from: /_debug \(\) \{[^}]*Debug\.apply\(null, args\)\r?\n\s*\}/, to: '_debug () {}' },
  { file: SIMPLE_PEER, from: "this._isReactNativeWebrtc = typeof this._pc._peerConnectionId === 'number'", to: '' },
  { file: SIMPLE_PEER, from: 'reports.push(flattenValues(report))', to: 'reports.push(report)' },
  { file: SIMPLE_PEER, from: /^ {4}this\._(sendersAwaitingStable|remoteTracks|remoteStreams) = \[\]\r?$/gm, to: '' },
  { file: SIMPLE_PEER, from: /^ {6}this\._(remoteTracks|remoteStreams|senderMap) = null\r?$/gm, to: '' },
  {
    file: SIMPLE_PEER,
    from: /this\._sendersAwaitingStable\.forEach\(sender => \{[^}]*\}\)\r?\n\s*this\._sendersAwaitingStable = \[\]/,
    to: '',
  },
  // The local and remote addresses are never filled (the candidate-pair trim above) or read.
  { file: SIMPLE_PEER, from: /^ {4}this\.(remote|local)(Address|Family|Port) = undefined\r?$/gm, to: '' },
  {
    file: SIMPLE_PEER,
    from: /address \(\) \{\r?\n\s*return \{ port: this\.localPort, family: this\.localFamily, address: this\.localAddress \}\r?\n\s*\}/,
    to: '',
  },
  // Stats report types without hyphens predate the spec (Chrome < 58); remote candidates are
  // collected only for the addresses above. Browsers the bundles run in (ES2022) use the spec's.
  {
    file: SIMPLE_PEER,
    from: /if \(item\.type === 'remotecandidate' \|\| item\.type === 'remote-candidate'\) \{[^}]*\}/,
    to: '',
  },
  { file: SIMPLE_PEER, from: "item.type === 'localcandidate' || ", to: '' },
  { file: SIMPLE_PEER, from: /item\.type === 'candidatepair' \|\| /g, to: '' },
  // One message for both environments: the bundles only build peers where RTCPeerConnection exists
  // (the tracker client checks it first), so this throw is a last guard; its code is kept.
  {
    file: SIMPLE_PEER,
    from: /if \(typeof window === 'undefined'\) \{\s*throw errCode\(new Error\('No WebRTC support: Specify `opts\.wrtc` option in this environment'\), 'ERR_WEBRTC_SUPPORT'\)\s*\} else \{\s*throw errCode\(new Error\('No WebRTC support: Not a supported browser'\), 'ERR_WEBRTC_SUPPORT'\)\s*\}/,
    to: "throw errCode(new Error('No WebRTC support'), 'ERR_WEBRTC_SUPPORT')",
  },
  // The library always passes its own iceServers (setting `iceServers`, default one STUN server) in
  // every peer's config, so simple-peer's default list is always overridden.
  {
    file: SIMPLE_PEER,
    from: /Peer\.config = \{\s*iceServers: \[\s*\{\s*urls: \[[^\]]*\]\s*\}\s*\],\s*sdpSemantics/,
    to: 'Peer.config = {\n  sdpSemantics',
  },
  // Nothing calls a peer's write() (bittorrent-tracker's client and lib/ use send(); lib/shims/duplex.ts
  // has no write()), so simple-peer's write path goes: `_write`, the chunk written before connect,
  // and the backpressure callback's wake-ups (the bufferedamountlow handler, a 150-ms poll).
  { file: SIMPLE_PEER, from: /\n {2}_write \(chunk, cb\) \{[\s\S]*?\r?\n {2}\}(?=\r?\n)/, to: '' },
  { file: SIMPLE_PEER, from: /\n {2}_onInterval \(\) \{[\s\S]*?\r?\n {2}\}(?=\r?\n)/, to: '' },
  { file: SIMPLE_PEER, from: /\n {2}_onChannelBufferedAmountLow \(\) \{[\s\S]*?\r?\n {2}\}(?=\r?\n)/, to: '' },
  {
    file: SIMPLE_PEER,
    from: /this\._channel\.onbufferedamountlow = \(\) => \{\s*this\._onChannelBufferedAmountLow\(\)\s*\}/,
    to: '',
  },
  { file: SIMPLE_PEER, from: /if \(this\._chunk\) \{[\s\S]*?cb\(null\)\s*\}/, to: '' },
  {
    file: SIMPLE_PEER,
    from: /if \(typeof this\._channel\.bufferedAmountLowThreshold !== 'number'\) \{\s*this\._interval = unrefInterval\(\(\) => this\._onInterval\(\), 150\)\s*\}/,
    to: '',
  },
  // bittorrent-tracker's client builds every peer with `trickle: false`: candidates are never
  // signalled one by one (they travel in the offer or answer).
  { file: SIMPLE_PEER, from: 'if (event.candidate && this.trickle) {', to: 'if (false) {' },
  // bittorrent-tracker's client builds every peer with `{ trickle: false, config, wrtc }` (and
  // `initiator`), nothing else: no SDP transform, offer or answer options, or half trickle.
  {
    file: SIMPLE_PEER,
    from: /^ {4}this\.(offerOptions|answerOptions|sdpTransform|allowHalfTrickle) = opts\..*$/gm,
    to: '',
    count: 4,
  },
  { file: SIMPLE_PEER, from: /\b(offer|answer)\.sdp = this\.sdpTransform\(\1\.sdp\)/g, to: '', count: 2 },
  { file: SIMPLE_PEER, from: /create(Offer|Answer)\(this\.(offer|answer)Options\)/g, to: 'create$1()', count: 2 },
  {
    file: SIMPLE_PEER,
    from: /!this\.trickle && !this\.allowHalfTrickle/g,
    to: '!this.trickle',
    count: 2,
  },
  // Only the initiator renegotiates: a non-initiator's one negotiate request (at construction) is
  // discarded, so its branch that asks the initiator to renegotiate never runs.
  {
    file: SIMPLE_PEER,
    from: /\} else \{\s*if \(this\._isNegotiating\) \{[^}]*\} else \{[^}]*renegotiate: true\s*\}\)\s*\}\s*\}/,
    to: '}',
  },
  // bittorrent-tracker's client: only WebSocket trackers exist in the browser build (its HTTP and
  // UDP tracker files map to empty objects), announce URLs are strings, no proxy is passed
  // (Node only), and lib/ calls only start(), update() (a swarm alone announcing again) and
  // destroy(): stop/complete/setInterval go (the trackers announce through their own setInterval
  // and _defaultAnnounceOpts).
  { file: TRACKER_CLIENT, from: "typeof HTTPTracker === 'function'", to: 'false' },
  { file: TRACKER_CLIENT, from: "typeof UDPTracker === 'function'", to: 'false' },
  { file: TRACKER_CLIENT, from: 'if (ArrayBuffer.isView(announceUrl)) announceUrl = arr2text(announceUrl)', to: '' },
  { file: TRACKER_CLIENT, from: /^ {4}this\._(peerIdBuffer|infoHashBuffer) = hex2arr\(this\.\w+\)$/gm, to: '' },
  { file: TRACKER_CLIENT, from: /^ {4}this\._(port|userAgent|proxyOpts) = opts\.\w+$/gm, to: '' },
  {
    file: TRACKER_CLIENT,
    from: /\n {2}stop \(opts\) \{[\s\S]*?\n {2}update \(opts\) \{/,
    to: '\n  update (opts) {',
  },
  {
    file: TRACKER_CLIENT,
    from: /\n {2}setInterval \(intervalMs\) \{[\s\S]*?\n {2}\}\n/,
    to: '\n',
  },
  // The library validates tracker URLs as ws:// or wss:// (api/config.ts) and passes the options
  // below: the UDP URL hack (for browsers of 2017), option checks and a port check that a parsed
  // URL always passes go; so do the announce branch of the removed stop/complete, and debug
  // arguments that were still computed (a JSON copy of every tracker message) for a logger that is off.
  {
    file: 'bittorrent-tracker/lib/common.js',
    from: /export const parseUrl = str => \{[\s\S]*?\n\}\n/,
    to: 'export const parseUrl = str => new URL(str)\n',
  },
  // lib/ passes hex strings for the ids and an array of URLs (swarm/bittorrent-tracker-client.ts).
  {
    file: TRACKER_CLIENT,
    from: /typeof opts\.peerId === 'string'\s*\? opts\.peerId\s*: arr2hex\(opts\.peerId\)/,
    to: 'opts.peerId',
  },
  {
    file: TRACKER_CLIENT,
    from: /typeof opts\.infoHash === 'string'\s*\? opts\.infoHash\.toLowerCase\(\)\s*: arr2hex\(opts\.infoHash\)/,
    to: 'opts.infoHash.toLowerCase()',
  },
  {
    file: TRACKER_CLIENT,
    from: /typeof opts\.announce === 'string'\s*\? \[opts\.announce\]\s*: opts\.announce == null \? \[\] : opts\.announce/,
    to: 'opts.announce',
  },
  {
    file: TRACKER_CLIENT,
    from: /^ {4}if \(!opts\.(peerId|infoHash|announce)\) throw new Error\('Option `\w+` is required'\)$/gm,
    to: '',
  },
  {
    file: TRACKER_CLIENT,
    from: /const port = parsedUrl\.port\s*if \(port < 0 \|\| port > 65535\) \{[\s\S]*?return null\s*\}/,
    to: '',
  },
  {
    file: WEBSOCKET_TRACKER,
    from: "if (opts.event === 'stopped' || opts.event === 'completed') {",
    to: 'if (false) {',
  },
  { file: WEBSOCKET_TRACKER, from: 'this.announceUrl, bin2hex(data.info_hash), this.client.infoHash', to: '' },
  { file: WEBSOCKET_TRACKER, from: 'JSON.stringify(data), this.announceUrl, this.client.infoHash', to: '' },
  { file: WEBSOCKET_TRACKER, from: '${JSON.stringify(data.answer)}', to: '' },
  {
    file: WEBSOCKET_TRACKER,
    from: /const parsedUrl = new URL\(this\.announceUrl\)\n {6}let agent\n {6}if \(this\.client\._proxyOpts\) \{[\s\S]*?\n {6}\}\n/,
    to: 'const agent = undefined\n',
  },
  { file: 'bittorrent-tracker/', from: /^(\s*)debug\(/gm, to: '$1/*#__PURE__*/debug(' },
  // Scrape (swarm counts on request) is never used: the static helper becomes an unused constant,
  // the methods return at once, and a tracker's scrape reply is ignored instead of parsed.
  { file: TRACKER_CLIENT, from: 'Client.scrape = (opts, cb) => {', to: 'const unusedScrape = (opts, cb) => {' },
  { file: TRACKER_CLIENT, from: '  scrape (opts) {\n', to: '  scrape (opts) {\n    return\n' },
  { file: WEBSOCKET_TRACKER, from: '  scrape (opts) {\n', to: '  scrape (opts) {\n    return\n' },
  { file: WEBSOCKET_TRACKER, from: '  _onScrapeResponse (data) {\n', to: '  _onScrapeResponse (data) {\n    return\n' },
];

function libraryTrims(): Plugin {
  return {
    name: 'library-trims',
    transform(code, id) {
      let out = code;
      for (const trim of LIBRARY_TRIMS) {
        if (!id.includes(`/node_modules/${trim.file}`)) continue;
        // A trim of one file must find its text (a regex too); one over a folder may find none.
        const found = typeof trim.from === 'string' ? out.includes(trim.from) : out.search(trim.from) !== -1;
        if (!found && (typeof trim.from === 'string' || trim.file.endsWith('.js')))
          this.error(`library-trims: "${String(trim.from)}" is no longer in ${trim.file}; check the trim`);
        if (
          trim.count !== undefined &&
          typeof trim.from !== 'string' &&
          [...out.matchAll(trim.from)].length !== trim.count
        )
          this.error(
            `library-trims: "${String(trim.from)}" is not found ${trim.count} times in ${trim.file}; check the trim`,
          );
        // `$1`... in `to` name the match's groups (as in String.prototype.replace).
        out = out.replace(trim.from, (matched: string, ...groups: unknown[]) =>
          keepPositions(
            matched,
            trim.to.replace(
              /\$(\d)/g,
              (_, index: string) => (groups as (string | undefined)[])[Number(index) - 1] ?? '',
            ),
          ),
        );
      }
      // Positions after each trim are unchanged (keepPositions), so the file's source map still holds.
      return out === code ? null : { code: out, map: null };
    },
  };
}

// `replacement` padded with the removed text's line breaks and spaces so that everything after it
// keeps its line and column: the source maps (and `npm run size -- --breakdown`) stay right.
function keepPositions(removed: string, replacement: string): string {
  const removedLines = removed.split('\n');
  const replacementLines = replacement.split('\n');
  const extraLines = removedLines.length - replacementLines.length;
  if (extraLines < 0) return replacement;
  const endColumn = (removedLines.at(-1) ?? '').length;
  const lastColumn = extraLines > 0 ? 0 : (replacementLines.at(-1) ?? '').length;
  return replacement + '\n'.repeat(extraLines) + ' '.repeat(Math.max(0, endColumn - lastColumn));
}

function shimAliases(): Plugin {
  return {
    name: 'shim-aliases',
    resolveId: (source) => (Object.hasOwn(SHIMS, source) ? join(REPO, SHIMS[source] as string) : null),
  };
}

// Everything the browser needs in one file, hls.js excepted: no polyfills or `define` needed in
// the consumer's bundler (bittorrent-tracker reads `process.browser`).
const minifiedBrowserPlugins = (): Plugin[] => [
  replace({
    preventAssignment: true,
    values: { 'process.browser': 'true', 'process.env.NODE_ENV': '"production"' },
  }),
  browserFalseMappings(),
  shimAliases(),
  libraryTrims(),
  nodeResolve({ browser: true, preferBuiltins: false }),
  commonjs(),
  // ES2022 keeps class fields and #private members native (es2020 turned each into a WeakMap
  // and helper calls: 1.8 KiB gzip). The library already needs Object.hasOwn (ES2022).
  esbuild({ target: 'es2022', minify: true, legalComments: 'none' }),
  // A second, slower minifier over the whole file: about 2 KiB gzip less than esbuild alone,
  // which matters against the size budgets (bench/size-budget.json).
  terser({
    ecma: 2020,
    compress: { passes: 3, pure_getters: true, pure_funcs: ['debug', 'Debug', 'this._debug', 'self._debug'] },
    // The bundled libraries' private members are `_`-prefixed (simple-peer's `_pc`, `_channel`,
    // the tracker client's `_trackers`...; ours are `#private`): one-letter names in the bundle,
    // about 0.4 KiB gzip. Nothing outside the bundle reads them, and the JSON the libraries
    // exchange has no `_` keys. So are the internal property names of lib/ in mangled-properties.ts
    // (another ~0.8 KiB). Checked in Chromium by the pack, p2p-playback and other browser tests.
    mangle: {
      properties: { regex: new RegExp(`^(?:_|(?:${MANGLED_PROPERTIES.join('|')})$)`), reserved: ['__proto__'] },
    },
    format: { comments: false },
  }),
];

// A script-tag file: UMD, global `PeerCDN`, hls.js read from the global `Hls`.
const SCRIPT_TAG_OUTPUT = {
  format: 'umd',
  name: 'PeerCDN',
  exports: 'named',
  sourcemap: true,
  globals: { 'hls.js': 'Hls' },
} as const;

const config: RollupOptions[] = [
  // The browser library, bundled with everything but hls.js:
  // - dist/peercdn.mjs, ESM for `npm install` users, minified like the script tag (a consumer's
  //   bundler gains little from re-minifying; the source map leads back to lib/); a player's build
  //   keeps only what it imports (the optional startBeacons and useOrigins go unless used);
  // - dist/peercdn.full.umd.js, the same for a plain <script> tag after hls.js's: global `PeerCDN`;
  // - dist/peercdn.umd.js, the script tag most sites use: the same global without the optional
  //   parts (lib/script-tag.ts), as a player's build without them has it.
  {
    input: 'lib/index.ts',
    external: isHls,
    // The libraries' debug logs are off in the bundles (lib/shims/debug.ts): drop the calls and
    // their message strings (`debug` as the libraries name their loggers).
    treeshake: { manualPureFunctions: ['debug', 'Debug'] },
    plugins: minifiedBrowserPlugins(),
    output: [
      { file: 'dist/peercdn.mjs', format: 'es', sourcemap: true },
      { file: 'dist/peercdn.full.umd.js', ...SCRIPT_TAG_OUTPUT },
    ],
  },
  {
    input: 'lib/script-tag.ts',
    external: isHls,
    treeshake: { manualPureFunctions: ['debug', 'Debug'] },
    plugins: minifiedBrowserPlugins(),
    output: { file: 'dist/peercdn.umd.js', ...SCRIPT_TAG_OUTPUT },
  },
  // The tracker package (tracker/): `npx peercdn-tracker` and the site backend's imports.
  {
    input: { cli: 'tracker/cli.ts', index: 'tracker/index.ts' },
    external: isTrackerDependency,
    plugins: [esbuild({ target: 'node20' })],
    // tracker/cli.ts starts with its own #! line, which Rollup keeps.
    output: { dir: 'tracker/dist', format: 'es', chunkFileNames: '[name].js' },
  },
  // The `peercdn` command (hash manifests, packaging) for `npx peercdn`: Node ESM, no runtime dependencies.
  {
    input: 'tracker/packaging/cli.ts',
    external: (id: string) => id.startsWith('node:'),
    plugins: [esbuild({ target: 'node20' })],
    // tracker/packaging/cli.ts starts with its own #! line, which Rollup keeps.
    output: { file: 'dist/cli/peercdn.js', format: 'es' },
  },
  // Bundled declaration files.
  {
    input: 'lib/index.ts',
    external: isHls,
    plugins: [dts()],
    output: { file: 'dist/peercdn.d.ts', format: 'es' },
  },
  {
    input: 'tracker/index.ts',
    external: isTrackerDependency,
    plugins: [dts()],
    output: { file: 'tracker/dist/index.d.ts', format: 'es' },
  },
];

export default config;
