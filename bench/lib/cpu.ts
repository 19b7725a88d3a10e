import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU accounting from procfs (Linux only; every figure is null elsewhere). */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

/** user + system CPU time of one process, in ms. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** Whole-machine busy and total CPU time, in ms summed over all cores. */
export function machineCpuMs(): { busy: number; total: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    return { busy: (total - idle - iowait) * TICK_MS, total: total * TICK_MS, steal: steal * TICK_MS };
  } catch {
    return null;
  }
}

interface Sample {
  at: number;
  processes: Record<string, number | null>;
  machine: ReturnType<typeof machineCpuMs>;
}

export interface CpuWindow {
  seconds: number;
  /** % of one core per named process. */
  processes: Record<string, number | null>;
  /** % of one core used by the whole machine (all cores summed), and by neither named process. */
  machineBusy: number | null;
  other: number | null;
  steal: number | null;
}

/** Samples named processes and the machine every `everyMs`, so a window can be cut out afterwards. */
export class CpuSampler {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly pids: Record<string, number>;

  constructor(pids: Record<string, number>, everyMs = 250) {
    this.pids = { ...pids };
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
  }

  track(name: string, pid: number): void {
    this.pids[name] = pid;
    this.take();
  }

  private take(): void {
    const processes: Record<string, number | null> = {};
    for (const [name, pid] of Object.entries(this.pids)) processes[name] = processCpuMs(pid);
    this.samples.push({ at: Date.now(), processes, machine: machineCpuMs() });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** CPU use between the first sample at or after `from` and the last one at or before `to`. */
  window(from: number, to: number): CpuWindow | null {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    if (inside.length < 2) return null;
    const first = inside[0];
    const last = inside[inside.length - 1];
    const ms = last.at - first.at;
    const pct = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : ((b - a) / ms) * 100);
    const processes: Record<string, number | null> = {};
    for (const name of Object.keys(last.processes)) processes[name] = pct(first.processes[name], last.processes[name]);
    const machineBusy = pct(first.machine?.busy, last.machine?.busy);
    const named = Object.values(processes).reduce<number>((sum, v) => sum + (v ?? 0), 0);
    return {
      seconds: ms / 1000,
      processes,
      machineBusy,
      other: machineBusy == null ? null : Math.max(0, machineBusy - named),
      steal: pct(first.machine?.steal, last.machine?.steal),
    };
  }
}
