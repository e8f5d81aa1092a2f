// `peercdn package <input video> <outdir> [--fmp4]`: a multi-rendition HLS stream with 2-s
// segments (a keyframe exactly every 2 s, so every viewer's segments line up) and its hash
// manifests, made with the system's ffmpeg.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findFfmpeg, probeVideo, runFfmpeg, type VideoProbe } from './ffmpeg.ts';
import { HashWriter } from './hash-command.ts';
import { ProgressBar, type ProgressOutput } from './progress-bar.ts';

export const SEGMENT_SECONDS = 2;

/** One output rendition: its height and video bit rate. */
export interface Rendition {
  readonly name: string;
  readonly height: number;
  readonly videoKbps: number;
}

// A common ladder; a rendition is made only when the input is at least that tall.
const LADDER: readonly Rendition[] = [
  { name: '1080p', height: 1080, videoKbps: 5000 },
  { name: '720p', height: 720, videoKbps: 2800 },
  { name: '480p', height: 480, videoKbps: 1400 },
  { name: '360p', height: 360, videoKbps: 800 },
  { name: '240p', height: 240, videoKbps: 400 },
  { name: '144p', height: 144, videoKbps: 200 },
];
const MAX_RENDITIONS = 4;

/** The renditions for an input this tall: the tallest ladder steps it can fill (no upscaling). */
export function chooseRenditions(inputHeight: number): Rendition[] {
  const fitting = LADDER.filter((rendition) => rendition.height <= inputHeight).slice(0, MAX_RENDITIONS);
  if (fitting.length > 0) return fitting;
  // Smaller than every step: one rendition at the input's own (even) height.
  const height = Math.max(2, inputHeight - (inputHeight % 2));
  return [{ name: `${height}p`, height, videoKbps: 150 }];
}

export interface PackageOptions {
  readonly input: string;
  readonly outDir: string;
  readonly fmp4: boolean;
}

/** ffmpeg's arguments for the whole package (one run encodes every rendition). */
export function ffmpegArguments(
  options: PackageOptions,
  probe: VideoProbe,
  renditions: readonly Rendition[],
): string[] {
  const gop = Math.max(1, Math.round(probe.framesPerSecond * SEGMENT_SECONDS));
  const outDir = resolve(options.outDir);
  const split = renditions.map((_, i) => `[s${i}]`).join('');
  const scales = renditions.map((rendition, i) => `[s${i}]scale=-2:${rendition.height}[v${i}]`).join(';');
  const args = ['-y', '-i', options.input, '-filter_complex', `[0:v]split=${renditions.length}${split};${scales}`];
  renditions.forEach((_, i) => args.push('-map', `[v${i}]`));
  if (probe.hasAudio) renditions.forEach(() => args.push('-map', '0:a:0'));
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p');
  args.push('-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0');
  args.push('-force_key_frames', `expr:gte(t,n_forced*${SEGMENT_SECONDS})`);
  renditions.forEach((rendition, i) => {
    args.push(
      `-b:v:${i}`,
      `${rendition.videoKbps}k`,
      `-maxrate:v:${i}`,
      `${Math.round(rendition.videoKbps * 1.1)}k`,
      `-bufsize:v:${i}`,
      `${rendition.videoKbps * 2}k`,
    );
  });
  if (probe.hasAudio) args.push('-c:a', 'aac', '-b:a', '96k', '-ac', '2');
  const extension = options.fmp4 ? 'm4s' : 'ts';
  args.push(
    '-f',
    'hls',
    '-hls_time',
    String(SEGMENT_SECONDS),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
  );
  args.push('-hls_segment_type', options.fmp4 ? 'fmp4' : 'mpegts');
  if (options.fmp4) args.push('-hls_fmp4_init_filename', 'init.mp4');
  args.push('-hls_segment_filename', join(outDir, '%v', `seg_%03d.${extension}`));
  args.push('-master_pl_name', 'master.m3u8');
  const streams = renditions.map((rendition, i) =>
    probe.hasAudio ? `v:${i},a:${i},name:${rendition.name}` : `v:${i},name:${rendition.name}`,
  );
  args.push('-var_stream_map', streams.join(' '));
  args.push(join(outDir, '%v', 'index.m3u8'));
  return args;
}

/** Package a video into `outDir`: renditions, master.m3u8, and a hash manifest beside each media playlist. */
export async function packageVideo(
  options: PackageOptions,
  progressOut: ProgressOutput,
): Promise<{ renditions: Rendition[]; manifests: string[] }> {
  const tools = findFfmpeg();
  if (!existsSync(options.input)) throw new Error(`${options.input}: no such file`);
  const outDir = resolve(options.outDir);
  if (existsSync(outDir) && readdirSync(outDir).length > 0)
    throw new Error(`${options.outDir} is not empty: choose a new or empty directory`);
  const probe = probeVideo(tools, options.input);
  const renditions = chooseRenditions(probe.height);
  for (const rendition of renditions) mkdirSync(join(outDir, rendition.name), { recursive: true });
  const bar = new ProgressBar(
    progressOut,
    `packaging ${renditions.map((r) => r.name).join(', ')}${options.fmp4 ? ' (fMP4)' : ''}`,
  );
  bar.update(0, probe.durationSeconds);
  try {
    await runFfmpeg(tools, ffmpegArguments(options, probe, renditions), (seconds) =>
      bar.update(seconds, probe.durationSeconds),
    );
    bar.update(probe.durationSeconds, probe.durationSeconds);
  } finally {
    bar.finish();
  }
  const manifests = new HashWriter({ input: join(outDir, 'master.m3u8') }).run();
  return { renditions, manifests };
}
