// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by origin (a package
// under node_modules, a folder of src/, node's internals, GC). Used by bench/fanout.ts with
// FANOUT_CPU_PROF=1, and on its own: node bench/fanout-profile.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byFunction: { name: string; ms: number; pct: number }[];
  byOrigin: { origin: string; ms: number; pct: number }[];
}

function originOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return '(program: native, not attributed)';
  if (!url) return `native ${name || '(anonymous)'}`.trim();
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const src = /\/src\/([^/]+)\//.exec(url) ?? /\/src\/([^/]+)$/.exec(url);
  if (src) return `src/${src[1]}`;
  return url.replace(/^.*\//, '');
}

export function summarizeProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|src)\//, '$1/');
    const key = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const origin = originOf(frame.url, frame.functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    byFunction: rank(byFunction).map(([name, us]) => ({ name, ms: us / 1000, pct: (us / busyUs) * 100 })),
    byOrigin: rank(byOrigin).map(([origin, us]) => ({ origin, ms: us / 1000, pct: (us / busyUs) * 100 })),
  };
}

export function formatSummary(s: ProfileSummary, label: string): string[] {
  const busy = s.totalMs - s.idleMs;
  const lines = [
    `${label}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s on the main thread (${((busy / s.totalMs) * 100).toFixed(0)}%)`,
  ];
  lines.push('  self time by origin (% of busy main-thread time):');
  for (const o of s.byOrigin) lines.push(`    ${o.pct.toFixed(1).padStart(5)}%  ${(o.ms / 1000).toFixed(2).padStart(6)} s  ${o.origin}`);
  lines.push('  self time by function:');
  for (const f of s.byFunction) lines.push(`    ${f.pct.toFixed(1).padStart(5)}%  ${(f.ms / 1000).toFixed(2).padStart(6)} s  ${f.name}`);
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [path, top] = process.argv.slice(2);
  if (!path) {
    console.error('usage: node bench/fanout-profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatSummary(summarizeProfile(path, Number(top ?? 25)), path).join('\n'));
}
