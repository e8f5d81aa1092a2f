// CPU time and memory of a process tree, read from /proc (Linux), for flagging CPU-starved runs.
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

export interface ProcessUsage {
  /** User plus system. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly processes: number;
}

function childrenOf(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(parent) ?? [];
      list.push(Number(entry));
      children.set(parent, list);
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

export interface ProcessUsageDetail extends ProcessUsage {
  /** Of cpuSeconds, time in the kernel (system calls; on loopback also the receiving side's TCP work). */
  readonly systemCpuSeconds: number;
}

/** Sum of user+system CPU seconds and resident memory of `rootPid` and all its descendants. */
export function processTreeUsage(rootPid: number): ProcessUsageDetail {
  const children = childrenOf();
  let cpuTicks = 0;
  let systemTicks = 0;
  let rssPages = 0;
  let processes = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields after the command: state is index 0, utime 11, stime 12, rss 21.
      cpuTicks += Number(fields[11]) + Number(fields[12]);
      systemTicks += Number(fields[12]);
      rssPages += Number(fields[21]);
      processes += 1;
    } catch {
      continue;
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return {
    cpuSeconds: cpuTicks / CLOCK_TICKS_PER_SECOND,
    systemCpuSeconds: systemTicks / CLOCK_TICKS_PER_SECOND,
    rssBytes: rssPages * PAGE_BYTES,
    processes,
  };
}
