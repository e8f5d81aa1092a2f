// A process and its descendants as /proc shows them (Linux), to check that stopping a command
// stopped everything it started. Each process is kept with its start time, so a reused PID is
// not mistaken for the same process.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  readonly pid: number;
  /** Start time in clock ticks after boot (/proc/PID/stat field 22). */
  readonly startTicks: number;
  readonly command: string;
}

interface StatLine {
  readonly parentPid: number;
  readonly state: string;
  readonly startTicks: number;
}

function readStat(pid: number): StatLine | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (command) ": state is field 3, parent 4, start time 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', parentPid: Number(fields[1]), startTicks: Number(fields[19]) };
  } catch {
    return null; // gone, or ended while we read
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** `rootPid` and every process below it, now. */
export function processTree(rootPid: number): ProcessEntry[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat === null) continue;
    children.set(stat.parentPid, [...(children.get(stat.parentPid) ?? []), Number(name)]);
  }
  const found: ProcessEntry[] = [];
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const stat = readStat(pid);
    if (stat === null) continue;
    found.push({ pid, startTicks: stat.startTicks, command: commandOf(pid) });
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Whether this very process still runs (a zombie has ended: it holds no ports or files). */
export function isRunning(entry: ProcessEntry): boolean {
  const stat = readStat(entry.pid);
  return stat !== null && stat.startTicks === entry.startTicks && stat.state !== 'Z';
}
