import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { redactUrl } from './redact.ts';
import { EMAIL_ADDRESS_MAX, isPlainEmailAddress } from './domain/email-address.ts';
import { COMPONENT_NAME_MAX, DESCRIPTION_MAX, KEY_PATTERN } from './domain/validation.ts';

/** A start-up problem the operator must fix; the message names the variable or file field. */
export class ConfigError extends Error {}

type Parser<T> = (raw: string, name: string) => T;

const int =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max)
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return value;
  };
const bool: Parser<boolean> = (raw, name) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
};
/**
 * How many proxies in front of Lifeline append to X-Forwarded-For. The client's address is the
 * entry that many hops from the right: entries further left are whatever the client wrote, so
 * trusting them all would let anyone pick a new IP per request and walk past every per-IP limit.
 */
const proxyHops: Parser<number> = (raw, name) => {
  if (/^(false|no|off|0)$/i.test(raw)) return 0;
  if (/^(true|yes|on)$/i.test(raw)) return 1;
  if (/^[1-9]$/.test(raw)) return Number(raw);
  throw new ConfigError(`${name} must be false, true (one proxy) or the number of proxies in front of Lifeline (1-9), got ${JSON.stringify(raw)}`);
};
const str: Parser<string> = (raw) => raw;
const url =
  (protocols: string[]): Parser<string> =>
  (raw, name) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(`${name} must be a URL, got ${JSON.stringify(redactUrl(raw))}`);
    }
    if (!protocols.includes(parsed.protocol))
      throw new ConfigError(`${name} must start with ${protocols.join(' or ')}, got ${JSON.stringify(parsed.protocol)}`);
    return raw.replace(/\/+$/, '');
  };
/** 32 random bytes, base64 or base64url (e.g. `openssl rand -base64 32`). */
const secretKey: Parser<Buffer> = (raw, name) => {
  const key = Buffer.from(raw.trim(), /[-_]/.test(raw) ? 'base64url' : 'base64');
  if (key.length !== 32) throw new ConfigError(`${name} must be 32 random bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`);
  return key;
};
const ROLES = ['web', 'worker'] as const;
type Role = (typeof ROLES)[number];
const roles: Parser<Role[]> = (raw, name) => {
  const list = raw
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = list.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (list.length === 0 || unknown.length > 0)
    throw new ConfigError(`${name} must be a comma-separated list of ${ROLES.join(', ')}; unknown: ${JSON.stringify(unknown.join(',') || raw)}`);
  return [...new Set(list)] as Role[];
};
const logLevel: Parser<string> = (raw, name) => {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(raw)) throw new ConfigError(`${name} must be one of ${levels.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw;
};

/** Every environment variable Lifeline reads: name, default and meaning. The README lists the same. */
export const ENVIRONMENT = {
  PORT: { parse: int(0, 65535), default: '8080', doc: 'HTTP port.' },
  HOST: { parse: str, default: '0.0.0.0', doc: 'Interface to listen on.' },
  LIFELINE_DATA_DIR: { parse: str, default: './data', doc: 'Embedded database, last good page snapshot and admin socket live here.' },
  DATABASE_URL: {
    parse: url(['postgres:', 'postgresql:']),
    default: '',
    doc: 'PostgreSQL server; when empty, embedded PGlite under LIFELINE_DATA_DIR is used (one process only).',
  },
  DATABASE_POOL_SIZE: { parse: int(1, 200), default: '10', doc: 'Connections per instance to DATABASE_URL.' },
  LIFELINE_ROLES: { parse: roles, default: 'web,worker', doc: 'What this process runs: web (pages, APIs), worker (background jobs).' },
  LIFELINE_CONFIG: { parse: str, default: '', doc: 'Page definition file; default: lifeline.config.yaml, .yml or .json in the working directory.' },
  LIFELINE_PUBLIC_URL: {
    parse: url(['http:', 'https:']),
    default: '',
    doc: 'Public base URL of the status page, for links in feeds (default http://localhost:PORT).',
  },
  LIFELINE_TRUST_PROXY: {
    parse: proxyHops,
    default: 'false',
    doc: 'Proxies in front of Lifeline whose X-Forwarded-For entries are trusted: false, true (one: Cloud Run alone), or a count (2: a load balancer in front of Cloud Run).',
  },
  LIFELINE_REVISION_POLL_SECONDS: {
    parse: int(1, 3600),
    default: '5',
    doc: 'How often each instance double-checks for changes it may have missed over LISTEN/NOTIFY.',
  },
  LIFELINE_JOB_TICK_SECONDS: { parse: int(1, 3600), default: '15', doc: 'How often scheduled maintenances are started and completed.' },
  LIFELINE_DETECTOR_TICK_SECONDS: {
    parse: int(1, 600),
    default: '5',
    doc: 'How often the heartbeat detector evaluates every series (buckets close 5 s after their end).',
  },
  LIFELINE_SECRET_KEY: {
    parse: secretKey,
    default: '',
    doc: 'Key (32 bytes, base64) that encrypts webhook signing secrets and the link-signing key in the database; keep it in a secret store. Empty: stored unencrypted.',
  },
  LIFELINE_DEMO_HEARTBEATS: {
    parse: bool,
    default: 'false',
    doc: 'Generate demo traffic for every declared heartbeat series (5 weeks of history, then a push per bucket), so the charts and detector can be tried without a product pushing.',
  },
  LIFELINE_ADMIN_SOCKET: {
    parse: bool,
    default: 'true',
    doc: 'Serve the CLI over a Unix socket in LIFELINE_DATA_DIR (needed for the CLI while the server runs on embedded PGlite).',
  },
  LOG_LEVEL: { parse: logLevel, default: 'info', doc: 'fatal, error, warn, info, debug, trace or silent.' },
  SMTP_URL: {
    parse: url(['smtp:', 'smtps:']),
    default: '',
    doc: 'SMTP relay for subscriber, alert and sign-in email, e.g. smtp://user:pass@host:587; empty: write each message as an .eml file under LIFELINE_DATA_DIR/mail.',
  },
  SMTP_FALLBACK_URL: { parse: url(['smtp:', 'smtps:']), default: '', doc: 'Second SMTP relay (another provider), used when the first fails.' },
  SMTP_POOL_SIZE: { parse: int(1, 100), default: '5', doc: 'Pooled SMTP connections per relay.' },
  SMTP_RATE_PER_SECOND: { parse: int(0, 100_000), default: '0', doc: 'Most messages per second per relay; 0: no limit.' },
  MAIL_FROM: { parse: str, default: 'Status updates <status@localhost>', doc: 'From address of subscriber email.' },
  DKIM_DOMAIN: { parse: str, default: '', doc: 'Sign email with DKIM for this domain (with DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE).' },
  DKIM_SELECTOR: { parse: str, default: '', doc: 'DKIM selector.' },
  DKIM_PRIVATE_KEY_FILE: { parse: str, default: '', doc: 'Path of the PEM private key for DKIM.' },
  GOOGLE_CLOUD_PROJECT: {
    parse: str,
    default: '',
    doc: 'Google Cloud project; with LIFELINE_PUBSUB_TOPIC, deliveries fan out through Pub/Sub (PUBSUB_EMULATOR_HOST is honoured).',
  },
  LIFELINE_PUBSUB_TOPIC: {
    parse: str,
    default: '',
    doc: 'Pub/Sub topic for email delivery batches (webhook batches: <topic>-webhooks); empty: the embedded in-process queue.',
  },
  PUBSUB_EMULATOR_HOST: {
    parse: str,
    default: '',
    doc: 'host:port of a Pub/Sub emulator (read by the Google client too); topic and subscription are then created when missing.',
  },
  LIFELINE_PUBSUB_SUBSCRIPTION: { parse: str, default: 'lifeline-deliveries', doc: 'Pub/Sub pull subscription the worker role consumes.' },
  LIFELINE_DELIVERY_LEASE_SECONDS: {
    parse: int(30, 86_400),
    default: '300',
    doc: 'A delivery claimed by a worker that has not reported back after this long is tried again (the worker died).',
  },
  LIFELINE_V1_RATE_LIMIT: {
    parse: int(0, 100_000),
    default: '60',
    doc: "Requests each API token may make to the Statuspage door (/v1) in any 60 seconds, as Statuspage's own limit (1 per second over a rolling minute); then 429 with Retry-After. 0: no limit.",
  },
  LIFELINE_ALLOW_PRIVATE_WEBHOOKS: {
    parse: bool,
    default: 'false',
    doc: 'Allow webhook targets on private and loopback addresses and plain http (development and tests only).',
  },
} as const;

type Env = typeof ENVIRONMENT;
export type EnvValues = { [K in keyof Env]: ReturnType<Env[K]['parse']> };

export interface Config {
  env: EnvValues;
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  roles: Role[];
  publicUrl: string;
  pageDefinition: PageDefinition;
  pageDefinitionPath: string | null;
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function readEnvironment(source: Record<string, string | undefined> = process.env): EnvValues {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENVIRONMENT)) {
    const raw = source[name];
    const value = raw === undefined || raw === '' ? spec.default : raw;
    values[name] = value === '' ? '' : (spec.parse as Parser<unknown>)(value, name);
  }
  return values as EnvValues;
}

export function loadConfig(source: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const env = readEnvironment(source);
  const definitionPath = findPageDefinition(env.LIFELINE_CONFIG, cwd);
  if (env.LIFELINE_PUBSUB_TOPIC && !env.GOOGLE_CLOUD_PROJECT && env.PUBSUB_EMULATOR_HOST) {
    throw new ConfigError('GOOGLE_CLOUD_PROJECT must be set when LIFELINE_PUBSUB_TOPIC is used with PUBSUB_EMULATOR_HOST');
  }
  for (const name of ['LIFELINE_PUBSUB_TOPIC', 'LIFELINE_PUBSUB_SUBSCRIPTION'] as const) {
    if (env[name] && !/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/.test(env[name])) {
      throw new ConfigError(`${name} must be 3 to 255 letters, digits or -_.~+% and start with a letter, got ${JSON.stringify(env[name])}`);
    }
  }
  if (env.DKIM_DOMAIN) {
    if (!env.DKIM_SELECTOR) throw new ConfigError('DKIM_SELECTOR must be set when DKIM_DOMAIN is');
    if (!env.DKIM_PRIVATE_KEY_FILE) throw new ConfigError('DKIM_PRIVATE_KEY_FILE must be set when DKIM_DOMAIN is');
    const keyFile = resolve(cwd, env.DKIM_PRIVATE_KEY_FILE);
    if (!existsSync(keyFile)) throw new ConfigError(`DKIM_PRIVATE_KEY_FILE: file not found: ${keyFile}`);
  }
  return {
    env,
    port: env.PORT,
    host: env.HOST,
    dataDir: resolve(cwd, env.LIFELINE_DATA_DIR),
    databaseUrl: env.DATABASE_URL || null,
    roles: env.LIFELINE_ROLES,
    publicUrl: env.LIFELINE_PUBLIC_URL || `http://localhost:${env.PORT}`,
    pageDefinition: definitionPath ? readPageDefinition(definitionPath) : DEFAULT_PAGE_DEFINITION,
    pageDefinitionPath: definitionPath,
  };
}

function findPageDefinition(explicit: string, cwd: string): string | null {
  if (explicit) {
    const path = isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`LIFELINE_CONFIG: file not found: ${path}`);
    return path;
  }
  for (const name of ['lifeline.config.yaml', 'lifeline.config.yml', 'lifeline.config.json']) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return null;
}

// ---- the page definition file -------------------------------------------------------------

const Key = Type.String({ pattern: KEY_PATTERN, description: 'stable identifier: lowercase letters, digits, dashes' });
const ComponentDefinition = Type.Object(
  {
    key: Key,
    name: Type.String({ minLength: 1, maxLength: COMPONENT_NAME_MAX }),
    description: Type.Optional(Type.String({ maxLength: DESCRIPTION_MAX })),
    only_show_if_degraded: Type.Optional(Type.Boolean()),
    start_date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  },
  { additionalProperties: false },
);
const GroupDefinition = Type.Object(
  {
    key: Key,
    name: Type.String({ minLength: 1, maxLength: COMPONENT_NAME_MAX }),
    description: Type.Optional(Type.String({ maxLength: DESCRIPTION_MAX })),
    components: Type.Array(ComponentDefinition, { minItems: 1 }),
  },
  { additionalProperties: false },
);
const HeartbeatDefinition = Type.Object(
  {
    key: Key,
    label: Type.String({ minLength: 1, maxLength: COMPONENT_NAME_MAX, description: 'public name, e.g. "Messages created"' }),
    description: Type.Optional(Type.String({ maxLength: DESCRIPTION_MAX })),
    bucket_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'size of one pushed count; default 10' })),
    regions: Type.Array(Type.String({ pattern: KEY_PATTERN }), { minItems: 1 }),
    public: Type.Optional(Type.Boolean({ description: 'shown on the status page; default true' })),
    threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'fire below this fraction of expected; default 0.5' })),
    notify_subscribers: Type.Optional(Type.Boolean({ description: 'tell subscribers automatically when it fires; default false' })),
    alarm_while_provisional: Type.Optional(
      Type.Boolean({
        description:
          'raise major alarms (drops below the threshold) on a provisional baseline too, in the first 3 weeks without imported history; more false alarms; default false (only near-zero drops alarm until then)',
      }),
    ),
    alert: Type.Optional(
      Type.Object(
        {
          emails: Type.Optional(
            Type.Array(Type.String({ maxLength: EMAIL_ADDRESS_MAX, description: 'responders alerted by email (plain addresses, checked below)' })),
          ),
          webhooks: Type.Optional(Type.Array(Type.String({ pattern: '^https?://' }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const PageDefinitionSchema = Type.Object(
  {
    page: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: COMPONENT_NAME_MAX }),
        url: Type.Optional(Type.String({ pattern: '^https?://' })),
        time_zone: Type.Optional(Type.String({ minLength: 1 })),
        components_from: Type.Optional(
          Type.Union([Type.Literal('file'), Type.Literal('console')], {
            description: 'file (default): groups and components are listed here and synced at start; console: they are managed in the console and API',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    groups: Type.Optional(Type.Array(GroupDefinition)),
    components: Type.Optional(Type.Array(ComponentDefinition)),
    heartbeats: Type.Optional(Type.Array(HeartbeatDefinition)),
    holidays: Type.Optional(
      Type.Array(
        Type.String({
          pattern: '^\\d{4}-\\d{2}-\\d{2}$',
          description: 'days (in the page time zone) left out of heartbeat baselines; only critical drops alert on them',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type PageDefinition = Static<typeof PageDefinitionSchema>;
export type HeartbeatDefinition = Static<typeof HeartbeatDefinition>;

/** Every declared heartbeat series (metric × region). */
export function heartbeatSeries(definition: PageDefinition): { metric: string; region: string }[] {
  return (definition.heartbeats ?? []).flatMap((m) => m.regions.map((region) => ({ metric: m.key, region })));
}

const DEFAULT_PAGE_DEFINITION: PageDefinition = {
  page: { name: 'Status', time_zone: 'Etc/UTC' },
  components: [{ key: 'service', name: 'Service' }],
};

function readPageDefinition(path: string): PageDefinition {
  let data: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${path}: cannot be read: ${(error as Error).message}`);
  }
  return validatePageDefinition(data, path);
}

export function validatePageDefinition(data: unknown, source = 'page definition'): PageDefinition {
  const errors = Value.Errors(PageDefinitionSchema, data).filter((e) => e.keyword !== 'boolean');
  if (errors.length > 0) {
    const first = errors[0];
    const field = first.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
    throw new ConfigError(`${source}: ${field}: ${first.message}`);
  }
  const definition = data as PageDefinition;
  const metricKeys = (definition.heartbeats ?? []).map((h) => h.key);
  const duplicateMetric = metricKeys.find((key, index) => metricKeys.indexOf(key) !== index);
  if (duplicateMetric) throw new ConfigError(`${source}: heartbeats: key ${JSON.stringify(duplicateMetric)} is used twice`);
  const seen = new Set<string>();
  const keys = [...(definition.groups ?? []).flatMap((g) => [g.key, ...g.components.map((c) => c.key)]), ...(definition.components ?? []).map((c) => c.key)];
  for (const key of keys) {
    if (seen.has(key)) throw new ConfigError(`${source}: key ${JSON.stringify(key)} is used twice; keys must be unique across groups and components`);
    seen.add(key);
  }
  if (definition.page.components_from === 'console' && (definition.groups || definition.components)) {
    const field = definition.groups ? 'groups' : 'components';
    throw new ConfigError(
      `${source}: ${field}: page.components_from is "console", so groups and components are managed in the console; remove them from the file`,
    );
  }
  // Alert addresses follow the same plain-address rule as subscribers: refused here, at start,
  // rather than failing at send time in the middle of an outage.
  for (const [index, metric] of (definition.heartbeats ?? []).entries()) {
    for (const [at, email] of (metric.alert?.emails ?? []).entries()) {
      if (!isPlainEmailAddress(email))
        throw new ConfigError(
          `${source}: heartbeats.${index}.alert.emails.${at}: must be a plain address such as ops@example.com (no name, quotes, comments or brackets)`,
        );
    }
  }
  const zone = definition.page.time_zone;
  if (zone) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
    } catch {
      throw new ConfigError(`${source}: page.time_zone: unknown time zone ${JSON.stringify(zone)}`);
    }
  }
  return definition;
}
