import { sharedGlobalSetup } from './shared-global-setup.ts';
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
 * One Pub/Sub emulator for the whole run (shared by both engine projects). A PUBSUB_EMULATOR_HOST
 * already set (an emulator run by CI as a service) is used as it is.
 */
export default sharedGlobalSetup('pubsub-emulator', async () => {
  const existing = process.env.PUBSUB_EMULATOR_HOST;
  if (existing) return { provided: provided(existing, 'lifeline-test', '') };
  try {
    const emulator = await startPubSubEmulator();
    console.info(`Pub/Sub emulator on ${emulator.host} (started in ${emulator.startMs} ms)`);
    return { provided: provided(emulator.host, emulator.projectId, ''), teardown: () => emulator.stop() };
  } catch (error) {
    if (!(error instanceof PubSubEmulatorMissing)) throw error;
    console.warn(`Pub/Sub emulator tests will be skipped: ${error.message}`);
    return { provided: provided(null, 'lifeline-test', error.message) };
  }
});

function provided(host: string | null, projectId: string, skipReason: string) {
  return { pubsubEmulatorHost: host, pubsubEmulatorProjectId: projectId, pubsubEmulatorSkipReason: skipReason };
}
