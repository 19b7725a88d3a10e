import { execFile, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

export interface PubSubEmulator {
  /** `127.0.0.1:PORT`, the value for PUBSUB_EMULATOR_HOST. */
  host: string;
  projectId: string;
  /** How long the emulator took to say "Server started". */
  startMs: number;
  stop(): Promise<void>;
}

/** The emulator is not installed here (outside CI, tests skip with this message). */
export class PubSubEmulatorMissing extends Error {}

const LAUNCHER = join('platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator');
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/**
 * Starts the Pub/Sub emulator from the Google Cloud SDK (Debian package
 * google-cloud-cli-pubsub-emulator) on a free loopback port. It runs in its own process group,
 * so stop() kills the launcher and its JVM together.
 */
export async function startPubSubEmulator(options: { projectId?: string } = {}): Promise<PubSubEmulator> {
  const launcher = await findLauncher();
  if (!launcher) {
    const message =
      'The Pub/Sub emulator is not installed: install google-cloud-cli-pubsub-emulator (and a Java runtime), ' +
      'or set PUBSUB_EMULATOR_LAUNCHER to its cloud-pubsub-emulator script';
    if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
    throw new PubSubEmulatorMissing(message);
  }
  // Another process can take the port between probing and binding: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(launcher, await freePort(), options.projectId ?? 'lifeline-test');
    } catch (error) {
      if (attempt >= 3 || !/address already in use|BindException/i.test((error as Error).message)) throw error;
    }
  }
}

async function findLauncher(): Promise<string | null> {
  const explicit = process.env.PUBSUB_EMULATOR_LAUNCHER;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`PUBSUB_EMULATOR_LAUNCHER=${explicit} does not exist`);
    return explicit;
  }
  const launchers = (roots: string[]) => roots.map((root) => join(root, LAUNCHER)).filter((path) => existsSync(path));
  // gcloud on PATH is usually <sdk_root>/bin/gcloud behind a symlink: that answers in no time.
  const gcloud = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'gcloud'))
    .find((path) => existsSync(path));
  const quick = gcloud ? launchers([dirname(dirname(realpathSync(gcloud)))]) : [];
  if (quick.length > 0) return quick[0];
  const roots: string[] = [];
  try {
    // The authoritative answer, for other layouts (takes a second or two).
    const { stdout } = await promisify(execFile)('gcloud', ['info', '--format=value(installation.sdk_root)'], { timeout: 30_000 });
    if (stdout.trim()) roots.push(stdout.trim());
  } catch {
    // No gcloud on PATH: look where the SDK usually lives.
  }
  roots.push('/usr/lib/google-cloud-sdk', '/usr/share/google-cloud-sdk', '/google-cloud-sdk', join(homedir(), 'google-cloud-sdk'));
  return launchers(roots)[0] ?? null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function launch(launcher: string, port: number, projectId: string): Promise<PubSubEmulator> {
  const started = performance.now();
  const child = spawn(launcher, ['--host=127.0.0.1', `--port=${port}`], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // If this process ends without calling stop(), take the JVM with it.
  const killOnExit = () => {
    if (!exited && pid) killGroup(pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  void exit.then(() => {
    exited = true;
    process.removeListener('exit', killOnExit);
  });

  const stop = async () => {
    if (exited || !pid) return;
    killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await exit;
    clearTimeout(timer);
  };

  return new Promise<PubSubEmulator>((resolve, reject) => {
    let output = '';
    let settled = false;
    const timer = setTimeout(() => fail(`no "Server started" within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`Pub/Sub emulator on port ${port}: ${reason}\n${output.slice(-4000)}`)));
    };
    const onData = (chunk: Buffer) => {
      // Keep reading after the start too, or a full pipe would block the JVM; keep a tail for errors.
      output = (output + chunk.toString()).slice(-16_000);
      if (settled || !output.includes('Server started')) return;
      settled = true;
      clearTimeout(timer);
      resolve({ host: `127.0.0.1:${port}`, projectId, startMs: Math.round(performance.now() - started), stop });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => fail(error.message));
    void exit.then(() => fail(`exited (${child.exitCode ?? child.signalCode}) before it started`));
  });
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
