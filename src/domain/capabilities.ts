/**
 * Who may do what: one table for every door. An API token holds the capabilities of its scopes, a
 * console account those of its role, and the `admin` scope, the `admin` role and the local operator
 * (the CLI) hold them all. Route guards and use-cases ask for a capability, never for a scope or a
 * role, so the API, the console and the CLI cannot drift apart.
 *
 * This table reproduces the access of the scope and role guards it replaced (issue 11, S1),
 * including where the API and the console disagree (marked DECISION): changing those is a product
 * decision, taken in a commit of its own.
 */

/** API token scopes, as stored on tokens and shown to users. */
export const SCOPES = ['incidents:write', 'components:write', 'maintenances:write', 'subscribers:write', 'heartbeats:write', 'tokens:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Console roles, lowest first: each holds everything the one before it holds. */
const CONSOLE_ROLES = ['viewer', 'responder', 'admin'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

interface Grant {
  /** Scopes that grant it: a list, or `any` (every valid token); `admin` is implied. */
  scopes: readonly Scope[] | 'any';
  /** The lowest console role that holds it (`null`: no console role below admin); `admin` is implied. */
  role: ConsoleRole | null;
}

const NO_SCOPE: readonly Scope[] = [];

const CAPABILITIES = {
  // Reading the page's state: incidents, maintenances, components, heartbeat notices.
  'status.read': { scopes: 'any', role: 'viewer' },
  'incident.declare': { scopes: ['incidents:write'], role: 'responder' },
  'incident.update': { scopes: ['incidents:write'], role: 'responder' },
  'heartbeat_notice.decide': { scopes: ['incidents:write'], role: 'responder' },
  // Deleting takes an incident off the page and its history (Statuspage's DELETE): whoever may declare one may delete it.
  'incident.delete': { scopes: ['incidents:write'], role: 'responder' },
  'maintenance.schedule': { scopes: ['maintenances:write'], role: 'responder' },
  'maintenance.advance': { scopes: ['maintenances:write'], role: 'responder' },
  'maintenance.delete': { scopes: ['maintenances:write'], role: 'responder' },
  'component.set_status': { scopes: ['components:write'], role: 'responder' },
  // DECISION: a components:write token may restructure the page; in the console that takes admin.
  'page_structure.edit': { scopes: ['components:write'], role: null },
  // DECISION: the API needs subscribers:write to list subscribers (email addresses); the console lets a viewer.
  'subscriber.read': { scopes: ['subscribers:write'], role: 'viewer' },
  'subscriber.manage': { scopes: ['subscribers:write'], role: 'responder' },
  // Failed (dead-letter) deliveries. An incident's delivery counts are read with status.read (DECISION: any token).
  'delivery.read': { scopes: ['subscribers:write'], role: 'viewer' },
  'delivery.replay': { scopes: ['subscribers:write'], role: 'responder' },
  // Templates are ready-made incidents: whoever may declare one may read and write them (the Statuspage door's incident_templates).
  'template.read': { scopes: ['incidents:write'], role: 'viewer' },
  'template.manage': { scopes: ['incidents:write'], role: 'responder' },
  // DECISION: the API needs the admin scope to read the audit log; the console lets a viewer.
  'audit.read': { scopes: NO_SCOPE, role: 'viewer' },
  'token.read': { scopes: ['tokens:write'], role: null },
  // Granting and revoking also follow the grant rule (mayGrant): only what the grantor holds itself.
  'token.grant': { scopes: ['tokens:write'], role: null },
  'token.revoke': { scopes: ['tokens:write'], role: null },
  'user.manage': { scopes: NO_SCOPE, role: null },
  'alert_recipient.read': { scopes: NO_SCOPE, role: null },
  'heartbeat.ingest': { scopes: ['heartbeats:write'], role: null },
  // A console account's own password, sessions and sign-out.
  'account.self': { scopes: NO_SCOPE, role: 'viewer' },
  // The page definition (config file) applied at start: the system actor only.
  'page.sync': { scopes: NO_SCOPE, role: null },
  'alert_recipient.sync': { scopes: NO_SCOPE, role: null },
  // Moving a page over from another service writes every kind of record (subscribers, history, structure): admin only.
  'page.import': { scopes: NO_SCOPE, role: null },
} as const satisfies Record<string, Grant>;

export type Capability = keyof typeof CAPABILITIES;
export const ALL_CAPABILITIES: ReadonlySet<Capability> = new Set(Object.keys(CAPABILITIES) as Capability[]);

const grantOf = (capability: Capability): Grant => CAPABILITIES[capability];
const roleRank = (role: ConsoleRole): number => CONSOLE_ROLES.indexOf(role);

/** What a token with these scopes may do (unknown scope names grant nothing). */
export function capabilitiesOfScopes(scopes: readonly string[]): ReadonlySet<Capability> {
  if (scopes.includes('admin')) return ALL_CAPABILITIES;
  return new Set(
    [...ALL_CAPABILITIES].filter((capability) => {
      const granting = grantOf(capability).scopes;
      return granting === 'any' ? scopes.length > 0 : granting.some((scope) => scopes.includes(scope));
    }),
  );
}

/** What a console account with this role may do. */
export function capabilitiesOfRole(role: ConsoleRole): ReadonlySet<Capability> {
  if (role === 'admin') return ALL_CAPABILITIES;
  return new Set(
    [...ALL_CAPABILITIES].filter((capability) => {
      const lowest = grantOf(capability).role;
      return lowest !== null && roleRank(role) >= roleRank(lowest);
    }),
  );
}

/** The scope to name when a token lacks `capability` (`admin` when no narrower scope grants it). */
export function scopeNeededFor(capability: Capability): Scope {
  const granting = grantOf(capability).scopes;
  return granting === 'any' || granting.length === 0 ? 'admin' : granting[0];
}

/** The lowest console role that holds `capability`. */
export function roleNeededFor(capability: Capability): ConsoleRole {
  return grantOf(capability).role ?? 'admin';
}

/**
 * The grant rule for API tokens: a grantor may hand out (or take away) a scope only if it holds
 * every capability that scope grants. `admin` grants everything, so only a holder of everything
 * (the admin scope or role, the operator) grants it; no other scope's set contains another's.
 */
export function mayGrantScope(grantor: ReadonlySet<Capability>, scope: string): boolean {
  return [...capabilitiesOfScopes([scope])].every((capability) => grantor.has(capability));
}
