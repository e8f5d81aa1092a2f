#!/usr/bin/env node
// The `peercdn` command: `peercdn hash` (hash manifests) and `peercdn package` (video → HLS).
import { parseArgs } from 'node:util';
import { HashWriter, watchAndHash } from './hash-command.ts';
import { packageVideo } from './package-command.ts';

const HELP = `Usage:
  peercdn hash <playlist-or-dir> [--out <file>] [--watch]
      Write SHA-256 hash manifests for HLS playlists: one beside each media playlist
      (index.m3u8 -> index.hashes.json, where the peercdn library looks by default), or with
      --out one manifest for every rendition. --watch keeps them current for a live folder.
  peercdn package <input video> <outdir> [--fmp4]
      Encode a video into multi-rendition HLS (MPEG-TS, or fMP4 with --fmp4) with 2-s segments,
      master.m3u8, and the hash manifests. Needs ffmpeg and ffprobe (or PEERCDN_FFMPEG /
      PEERCDN_FFPROBE).
  peercdn --help`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === 'hash') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { out: { type: 'string' }, watch: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new Error('peercdn hash takes one playlist or directory');
    const writer = new HashWriter({
      input: positionals[0] as string,
      ...(values.out === undefined ? {} : { out: values.out }),
    });
    if (values.watch !== true) {
      for (const path of writer.run()) console.log(`wrote ${path}`);
      return 0;
    }
    const watching = watchAndHash(
      writer,
      (paths) => paths.forEach((path) => console.log(`wrote ${path}`)),
      (error) => console.error(`peercdn hash: ${error.message}`),
    );
    console.log(`watching ${writer.directories().join(', ')} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    watching.stop();
    return 0;
  }
  if (command === 'package') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { fmp4: { type: 'boolean' } },
    });
    if (positionals.length !== 2) throw new Error('peercdn package takes an input video and an output directory');
    const [input, outDir] = positionals as [string, string];
    const result = await packageVideo({ input, outDir, fmp4: values.fmp4 === true }, process.stderr);
    console.log(`packaged ${result.renditions.map((r) => r.name).join(', ')} into ${outDir}`);
    for (const path of result.manifests) console.log(`wrote ${path}`);
    return 0;
  }
  throw new Error(`unknown command "${command}"\n${HELP}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`peercdn: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
