import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';

type Provided = Partial<ProvidedContext>;
interface Shared {
  ready: Promise<{ provided: Provided; teardown?: () => Promise<void> | void }>;
  users: number;
}

const registry = ((globalThis as { __lifelineSharedSetups?: Map<string, Shared> }).__lifelineSharedSetups ??= new Map());

/**
 * Vitest calls a global setup once for the root config and once per project (see
 * vitest.config.ts: one project per database engine). The expensive part (migrated templates,
 * the Pub/Sub emulator) runs once for all of them; every project gets the same provided values,
 * and the teardown runs when the last of them finishes.
 */
export function sharedGlobalSetup(key: string, setup: () => Promise<{ provided: Provided; teardown?: () => Promise<void> | void }>) {
  return async (project: TestProject) => {
    let shared = registry.get(key);
    if (!shared) {
      shared = { ready: setup(), users: 0 };
      registry.set(key, shared);
    }
    shared.users++;
    const { provided } = await shared.ready;
    for (const [name, value] of Object.entries(provided)) project.provide(name as keyof ProvidedContext, value as never);
    return async () => {
      const current = registry.get(key) as Shared;
      if (--current.users > 0) return;
      registry.delete(key);
      await (await current.ready).teardown?.();
    };
  };
}
