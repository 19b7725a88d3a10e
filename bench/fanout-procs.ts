// CPU and memory of process groups for bench/fanout.ts, from procfs (Linux): each Lifeline process,
// the receivers, the PostgreSQL backends of the bench database, the Pub/Sub emulator's JVM and the
// rest of the machine, sampled together so a window can be cut out afterwards.
import { readdirSync, readFileSync } from 'node:fs';
import { machineCpuMs, processCpuMs } from './lib/cpu.ts';

/** Returns the group a process belongs to, or null to leave it to "other". */
export type Classifier = (pid: number, comm: string, cmdline: string) => string | null;

interface Sample {
  at: number;
  groups: Record<string, number>;
  machine: ReturnType<typeof machineCpuMs>;
}

export interface GroupWindow {
  seconds: number;
  /** % of one core per group over the window. */
  pct: Record<string, number>;
  /** CPU seconds per group over the window. */
  cpuSeconds: Record<string, number>;
  machineBusyPct: number | null;
  otherPct: number | null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM (peak) of a process, in bytes; null once it has gone. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  const status = readText(`/proc/${pid}/status`);
  if (!status) return null;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export class GroupSampler {
  readonly samples: Sample[] = [];
  private readonly classify: Classifier;
  private readonly membership = new Map<number, string | null>();
  /** Last CPU ms seen per process, kept after it exits so group totals never go down. */
  private readonly lastSeen = new Map<number, { group: string; cpuMs: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(classify: Classifier, everyMs = 500) {
    this.classify = classify;
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
    this.timer.unref();
  }

  take(): void {
    let pids: number[] = [];
    try {
      pids = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number);
    } catch {
      return;
    }
    for (const pid of pids) {
      let group = this.membership.get(pid);
      if (group === undefined) {
        const comm = (readText(`/proc/${pid}/comm`) ?? '').trim();
        const cmdline = (readText(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ').trim();
        group = comm ? this.classify(pid, comm, cmdline) : null;
        this.membership.set(pid, group);
      }
      if (group === null) continue;
      const cpuMs = processCpuMs(pid);
      if (cpuMs !== null) this.lastSeen.set(pid, { group, cpuMs });
    }
    const groups: Record<string, number> = {};
    for (const { group, cpuMs } of this.lastSeen.values()) groups[group] = (groups[group] ?? 0) + cpuMs;
    this.samples.push({ at: Date.now(), groups, machine: machineCpuMs() });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Between the last sample at or before `from` and the first at or after `to` (the window is covered). */
  window(from: number, to: number): GroupWindow | null {
    const before = this.samples.filter((s) => s.at <= from).pop() ?? this.samples[0];
    const after = this.samples.find((s) => s.at >= to) ?? this.samples[this.samples.length - 1];
    if (!before || !after || after.at <= before.at) return null;
    const ms = after.at - before.at;
    const pct: Record<string, number> = {};
    const cpuSeconds: Record<string, number> = {};
    for (const name of new Set([...Object.keys(before.groups), ...Object.keys(after.groups)])) {
      const used = (after.groups[name] ?? 0) - (before.groups[name] ?? 0);
      pct[name] = (used / ms) * 100;
      cpuSeconds[name] = used / 1000;
    }
    const machineBusyPct = before.machine && after.machine ? ((after.machine.busy - before.machine.busy) / ms) * 100 : null;
    const named = Object.values(pct).reduce((sum, v) => sum + v, 0);
    return { seconds: ms / 1000, pct, cpuSeconds, machineBusyPct, otherPct: machineBusyPct === null ? null : Math.max(0, machineBusyPct - named) };
  }
}
