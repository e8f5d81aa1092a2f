import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
const alias = { streamx: './lib/shims/duplex.ts', events: './lib/shims/event-emitter.ts', debug: './lib/shims/debug.ts', once: './lib/shims/once.ts', 'queue-microtask': './lib/shims/queue-microtask.ts', 'webrtc-polyfill': './lib/shims/webrtc-globals.ts', ws: './lib/shims/websocket.ts' };
const r = await esbuild.build({ entryPoints: ['lib/index.ts'], bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, metafile: true, external: ['hls.js'], alias, define: {'process.browser':'true'}, logLevel: 'error', outfile: '/tmp/x.js' });
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs).map(([f, v]) => [f.replace(/.*node_modules\//,''), v.bytesInOutput]).sort((a,b)=>b[1]-a[1]);
console.log(rows.slice(0,40).map(([k,v])=>`${v}\t${k}`).join('\n'));
console.log('total min', r.outputFiles[0].contents.length, 'gz', gzipSync(r.outputFiles[0].contents,{level:9}).length);
