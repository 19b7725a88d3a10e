import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root, where `src/server.ts` lives. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A free loopback port (another process could take it before it is used; good enough for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The test process's environment without anything Lifeline reads, plus `env`: the child sees
 * exactly the configuration the test gives it (no DATABASE_URL or Pub/Sub leaking in).
 */
export function childEnvironment(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(LIFELINE_|SMTP_|DKIM_|PUBSUB_|DATABASE_|GOOGLE_CLOUD_PROJECT$|MAIL_FROM$|PORT$|HOST$|LOG_LEVEL$|NODE_OPTIONS$|VITEST)/.test(key)) continue;
    base[key] = value;
  }
  return { ...base, ...env };
}

export interface LifelineProcess {
  child: ChildProcess;
  pid: number;
  /** The last few KB of stdout and stderr, for failure messages. */
  output(): string;
  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`); resolves with code and signal. */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly exited: boolean;
}

/**
 * Starts `node src/server.ts` as a real child process with `env` and waits until `/healthz`
 * answers 200 on `baseUrl`.
 */
export async function startLifeline(env: Record<string, string>, baseUrl: string, options: { readyTimeoutMs?: number } = {}): Promise<LifelineProcess> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/server.ts'], {
    cwd: REPO_ROOT,
    env: childEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = once(child, 'exit').then(([code, signal]) => {
    exited = true;
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  // Never leave a server behind if the test process goes away first.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exit.then(() => process.removeListener('exit', killOnExit));

  const proc: LifelineProcess = {
    child,
    pid: child.pid!,
    output: () => output,
    get exited() {
      return exited;
    },
    async stop(signal, timeoutMs = 20_000) {
      if (exited) return exit;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`Lifeline exited before it was ready:\n${output}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      await response.body?.cancel();
      if (response.status === 200) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop('SIGKILL');
      throw new Error(`Lifeline was not ready on ${baseUrl} within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
