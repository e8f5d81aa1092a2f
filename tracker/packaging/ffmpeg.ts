// Running the system's ffmpeg and ffprobe: where they are, a clear error when they are missing,
// what a video file holds, and ffmpeg's machine-readable progress.
import { spawn, spawnSync } from 'node:child_process';

/** ffmpeg and ffprobe to run: PEERCDN_FFMPEG / PEERCDN_FFPROBE, else from PATH. */
export interface FfmpegTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
}

export const MISSING_FFMPEG_HELP =
  'peercdn package needs ffmpeg and ffprobe. Install them (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg) or point PEERCDN_FFMPEG and PEERCDN_FFPROBE at them.';

/** The tools to use; throws with install instructions when either does not run. */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegTools {
  const tools = { ffmpeg: env['PEERCDN_FFMPEG'] ?? 'ffmpeg', ffprobe: env['PEERCDN_FFPROBE'] ?? 'ffprobe' };
  for (const [name, command] of Object.entries(tools)) {
    const result = spawnSync(command, ['-version'], { stdio: 'ignore' });
    if (result.error !== undefined || result.status !== 0) {
      throw new Error(`${name} not found or not working (tried "${command}"). ${MISSING_FFMPEG_HELP}`);
    }
  }
  return tools;
}

/** What packaging needs to know about the input video. */
export interface VideoProbe {
  readonly durationSeconds: number;
  readonly width: number;
  readonly height: number;
  readonly framesPerSecond: number;
  readonly hasAudio: boolean;
}

/** Probe a video file with ffprobe; throws naming the file when it has no video stream. */
export function probeVideo(tools: FfmpegTools, input: string): VideoProbe {
  const result = spawnSync(
    tools.ffprobe,
    [
      '-v',
      'error',
      '-show_entries',
      'format=duration:stream=codec_type,width,height,avg_frame_rate',
      '-of',
      'json',
      input,
    ],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`ffprobe cannot read ${input}: ${result.stderr.trim()}`);
  const probe = JSON.parse(result.stdout) as {
    format?: { duration?: string };
    streams?: { codec_type?: string; width?: number; height?: number; avg_frame_rate?: string }[];
  };
  const video = probe.streams?.find((stream) => stream.codec_type === 'video');
  if (video?.width === undefined || video.height === undefined) throw new Error(`${input} has no video stream`);
  const [numerator, denominator] = (video.avg_frame_rate ?? '30/1').split('/').map(Number);
  const fps =
    numerator !== undefined && denominator !== undefined && denominator > 0 && numerator > 0
      ? numerator / denominator
      : 30;
  return {
    durationSeconds: Number(probe.format?.duration ?? 0),
    width: video.width,
    height: video.height,
    framesPerSecond: fps,
    hasAudio: probe.streams?.some((stream) => stream.codec_type === 'audio') ?? false,
  };
}

/** Run ffmpeg with `-progress pipe:1`; `onProgress` hears the seconds of output written so far. */
export function runFfmpeg(
  tools: FfmpegTools,
  args: readonly string[],
  onProgress: (seconds: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      tools.ffmpeg,
      ['-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^out_time_us=(\d+)/.exec(line);
        if (match !== null) onProgress(Number(match[1]) / 1e6);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run ${tools.ffmpeg}: ${error.message}. ${MISSING_FFMPEG_HELP}`)),
    );
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}
