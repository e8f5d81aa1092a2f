// `redis-cli` (redis-tools, installed with redis-server) as a test runs it: to set a cluster up and
// to read what a tracker left in Redis, in raw output (one value a line: it writes to a pipe).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { guarded } from './wait-for.ts';

/** Liveness guard for one call. */
const CLI_GUARD_MS = 60_000;

/** Runs redis-cli with `args`; resolves with its stdout, rejects with its output when it fails. */
export async function redisCli(args: readonly string[]): Promise<string> {
  const cli = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await guarded(once(cli, 'exit'), `redis-cli ${args.join(' ')}`, CLI_GUARD_MS)) as [number | null];
  if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} failed (${code}): ${(stdout + stderr).slice(-2000)}`);
  return stdout;
}

/** One command's reply lines from the Redis at `url` (a list reply: one element a line). */
export async function redisLines(url: string, args: readonly string[]): Promise<string[]> {
  return (await redisCli(['-u', url, ...args])).split('\n').filter((line) => line !== '');
}
