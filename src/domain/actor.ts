import { ForbiddenError } from './errors.ts';
import { ALL_CAPABILITIES, capabilitiesOfRole, type Capability, type ConsoleRole } from './capabilities.ts';

/**
 * Who is acting, at every door. `label` is the string written to the audit log, to `created_by`
 * and into idempotency keys; it keeps the exact form those columns have always held
 * (`token:<name> (<prefix>)`, `user:<email>`, `cli:<user>`, `system:<job>`, `public`, …), so old
 * and new rows read alike and a retry across a deploy still finds its key.
 */
export interface Actor {
  /** token: an API token; user: a console account; operator: the local CLI; system: the app's own jobs; visitor: a member of the public (authorised by a link, if at all). */
  kind: 'token' | 'user' | 'operator' | 'system' | 'visitor';
  /** The token's, account's, operator's or job's id (the OS user name for the operator). */
  id: string;
  label: string;
  capabilities: ReadonlySet<Capability>;
}

const NOTHING: ReadonlySet<Capability> = new Set();

/** The local operator (the CLI, setup scripts, tests): holds every capability. */
export const operatorActor = (user: string): Actor => ({ kind: 'operator', id: user, label: `cli:${user}`, capabilities: ALL_CAPABILITIES });

/** A signed-in console account: what its role grants. */
export const userActor = (user: { id: string; email: string; role: ConsoleRole }): Actor => ({
  kind: 'user',
  id: user.id,
  label: `user:${user.email}`,
  capabilities: capabilitiesOfRole(user.role),
});

/** The app's own work (`system:<job>`), with only the capabilities that job needs. */
const systemActor = (job: string, capabilities: readonly Capability[]): Actor => ({
  kind: 'system',
  id: job,
  label: `system:${job}`,
  capabilities: new Set(capabilities),
});

/** The app's own jobs, each with what it does and nothing more. */
export const SYSTEM_ACTORS = {
  /** Applies the page definition (config file) at start. */
  config: systemActor('config', ['page.sync', 'alert_recipient.sync']),
  /** LIFELINE_DEMO_HEARTBEATS: pushes demo heartbeat traffic. */
  demo: systemActor('demo', ['heartbeat.ingest']),
  /** Starts and completes maintenances at their scheduled times. */
  scheduler: systemActor('scheduler', ['maintenance.advance']),
  /** The heartbeat detector: opens and updates automatic notices (incidents). */
  heartbeat: systemActor('heartbeat', ['incident.declare', 'incident.update']),
} as const;

/** Someone without an account: a subscriber following a link, the public subscribe form, a session lookup. */
export const visitorActor = (label: string): Actor => ({ kind: 'visitor', id: label, label, capabilities: NOTHING });

/**
 * A context made by a setup script or a test from a bare label: the operator at the machine, as
 * `OPERATOR_GRANTOR` always was. Request handlers always pass a real actor.
 */
export const labelledOperator = (label: string): Actor => ({ kind: 'operator', id: label, label, capabilities: ALL_CAPABILITIES });

function can(actor: Actor, capability: Capability): boolean {
  return actor.capabilities.has(capability);
}

/** First line of a use-case that needs a capability: the same check at every door. */
export function authorize(actor: Actor, capability: Capability): void {
  if (!can(actor, capability)) throw new ForbiddenError(`${actor.label} may not ${capability.replace(/[._]/g, ' ')}`);
}
