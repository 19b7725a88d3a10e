import type { TestProject } from 'vitest/node';
import { PubSubEmulatorMissing, startPubSubEmulator } from './pubsub-emulator.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the Pub/Sub emulator for this run, or null when it is not installed (never in CI). */
    pubsubEmulatorHost: string | null;
    pubsubEmulatorProjectId: string;
    /** Why there is no emulator, for the skipped tests to say. */
    pubsubEmulatorSkipReason: string;
  }
}

/**
 * One Pub/Sub emulator for the whole run. A PUBSUB_EMULATOR_HOST already set (an emulator run by
 * CI as a service) is used as it is.
 */
export default async function setup(project: TestProject) {
  const existing = process.env.PUBSUB_EMULATOR_HOST;
  if (existing) {
    provide(project, existing, 'lifeline-test', '');
    return;
  }
  try {
    const emulator = await startPubSubEmulator();
    console.info(`Pub/Sub emulator on ${emulator.host} (started in ${emulator.startMs} ms)`);
    provide(project, emulator.host, emulator.projectId, '');
    return () => emulator.stop();
  } catch (error) {
    if (!(error instanceof PubSubEmulatorMissing)) throw error;
    console.warn(`Pub/Sub emulator tests will be skipped: ${error.message}`);
    provide(project, null, 'lifeline-test', error.message);
  }
}

function provide(project: TestProject, host: string | null, projectId: string, skipReason: string) {
  project.provide('pubsubEmulatorHost', host);
  project.provide('pubsubEmulatorProjectId', projectId);
  project.provide('pubsubEmulatorSkipReason', skipReason);
}
