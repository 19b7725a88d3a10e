import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { request } from 'node:http';

/** A child process this bench started; it is stopped by its PID, never by name. */
export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: boolean;
}

const live = new Map<number, Child>();

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go to this file (appended) unless `stdio` is given. */
  logFile?: string;
  stdio?: StdioOptions;
}

export function startChild(name: string, command: string, args: string[], options: StartOptions = {}): Child {
  let fd: number | null = null;
  let stdio: StdioOptions = options.stdio ?? 'ignore';
  if (!options.stdio && options.logFile) {
    fd = openSync(options.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const proc = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio });
  if (fd !== null) closeSync(fd); // the child holds its own copy
  if (proc.pid === undefined) throw new Error(`${name}: could not be started (${command})`);
  const child: Child = {
    name,
    pid: proc.pid,
    proc,
    done: false,
    exited: new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        child.done = true;
        live.delete(child.pid);
        resolve({ code, signal });
      });
    }),
  };
  proc.on('error', () => {}); // reported through `exited`
  live.set(child.pid, child);
  return child;
}

/** SIGTERM to the child's PID, then SIGKILL if it has not exited after `graceMs`. */
export async function stopChild(child: Child, graceMs = 5_000): Promise<void> {
  if (child.done) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
  if ((await Promise.race([child.exited, timer])) === 'timeout' && !child.done) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      return;
    }
    await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }
}

/** Stops every child still running, each by its own PID. */
export async function stopAllChildren(): Promise<string[]> {
  const stopped: string[] = [];
  await Promise.all(
    [...live.values()].map(async (child) => {
      await stopChild(child);
      stopped.push(`${child.name} (pid ${child.pid})`);
    }),
  );
  return stopped;
}

/** Runs a command to completion (bounded by `timeoutMs`), returning its stdout. */
export async function runToCompletion(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startChild(name, command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => void stopChild(child, 1_000), options.timeoutMs);
  const { code } = await child.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Polls GET `url` until it answers 200; fails when `child` exits or after `timeoutMs`. */
export async function waitForHttp200(url: string, timeoutMs: number, child?: Child): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (child?.done) throw new Error(`${child.name} exited before ${url} answered 200`);
    const status = await new Promise<number>((resolve) => {
      const req = request(url, { agent: false, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
      req.end();
    });
    if (status === 200) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last status ${status || 'no answer'})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
