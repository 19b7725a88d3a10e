import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { PRIVATE_UMASK } from '../data-dir.ts';
import { importHistoryFile } from './import-history.ts';
import { connect, connectRemote, type Response, type Transport } from './transport.ts';
import { importStatuspage } from './import-statuspage.ts';

const USAGE = `Usage: lifeline <command> [options]

Tokens
  token create --name NAME --scope SCOPE [--scope SCOPE ...]   prints the token alone on the last line, once
  token list
  token revoke ID_OR_PREFIX

Console accounts
  user create --email EMAIL --role admin|responder|viewer [--name NAME]
                  prints a one-time sign-in link (15 minutes) alone on the last line
  user list
  user disable --email EMAIL

Incidents
  incident create --name NAME --body TEXT [--status investigating] [--impact minor]
                  [--component ID_OR_KEY=STATUS ...] [--no-notify]
  incident update ID --body TEXT [--status STATUS] [--component ID_OR_KEY=STATUS ...] [--no-notify]
  incident resolve ID [--body TEXT]
  incident list
  incident show ID

Components
  component list
  component set ID_OR_KEY STATUS

Maintenance
  maintenance schedule --name NAME --body TEXT --from ISO_TIME --until ISO_TIME [--component ID_OR_KEY ...] [--manual]
  maintenance start ID | maintenance complete ID
  maintenance list

Moving over
  import statuspage --page-id PAGE_ID --api-key KEY [--api-url URL]
                  copies a Statuspage page (components, history, templates, subscribers) through
                  its manage API (default https://api.statuspage.io/v1); safe to run again.
                  The key may come from STATUSPAGE_API_KEY instead of the command line.

Another Lifeline (a Cloud Run deployment): --lifeline-url URL (or LIFELINE_URL) with an admin
token in LIFELINE_TOKEN; every command then talks to it over HTTPS instead of a local database.

Heartbeats
  heartbeats import FILE.csv [--resolution SECONDS] [--metric KEY] [--region KEY]
                  imports past counts (up to 8 weeks) so drops are detected from day one;
                  CSV: metric,region,timestamp,value, a Lifeline data.csv (with --metric and --region),
                  or a Datadog / Prometheus export (timestamp,<series>...); see the README

Scopes: incidents:write components:write maintenances:write subscribers:write heartbeats:write tokens:write admin
The CLI uses the same LIFELINE_DATA_DIR / DATABASE_URL as the server, and talks to the running server when there is one.`;

class UsageError extends Error {}

/** What a long-running command needs from its surroundings: where progress goes, and how it waits (tests do not sleep). */
export interface RunOptions {
  progress: (line: string) => void;
  wait: (ms: number) => Promise<void>;
}

const DEFAULT_RUN_OPTIONS: RunOptions = {
  // One line rewritten in place on a terminal (an empty one clears it); one line each otherwise (a log).
  progress: (line) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\u001b[K${line}`);
    else if (line !== '') process.stderr.write(`${line}\n`);
  },
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

function parseComponents(values: string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const map: Record<string, string> = {};
  for (const value of values) {
    const match = /^([^=]+)=(.+)$/.exec(value);
    if (!match) throw new UsageError(`--component must look like ID_OR_KEY=STATUS, got ${JSON.stringify(value)}`);
    map[match[1]] = match[2];
  }
  return map;
}

function expectOk(response: Response): Record<string, unknown> {
  if (response.status >= 200 && response.status < 300) return response.body as Record<string, unknown>;
  const body = response.body as { message?: string } | null;
  throw new Error(body?.message ?? `request failed with HTTP ${response.status}`);
}

/**
 * What the CLI prints comes from the database, and older rows (or a future bug) may hold terminal
 * control sequences: an ESC in a name could retitle the operator's terminal, rewrite lines above
 * or worse. Control characters other than line breaks and tabs are shown escaped, never sent raw.
 */
export function terminalSafe(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function printIncident(incident: Record<string, unknown>, out: (line: string) => void) {
  out(`${incident.id}  ${incident.status}  ${incident.impact}  ${incident.name}`);
  out(`  ${incident.shortlink}`);
}

export async function run(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  warn: (line: string) => void = (line) => process.stderr.write(`lifeline: ${line}\n`),
  options: RunOptions = DEFAULT_RUN_OPTIONS,
): Promise<void> {
  const print = out;
  out = (line) => print(terminalSafe(line));
  const [group, action, ...rest] = argv;
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    out(USAGE);
    return;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      body: { type: 'string' },
      status: { type: 'string' },
      impact: { type: 'string' },
      component: { type: 'string', multiple: true },
      'no-notify': { type: 'boolean' },
      from: { type: 'string' },
      until: { type: 'string' },
      manual: { type: 'boolean' },
      email: { type: 'string' },
      role: { type: 'string' },
      'page-id': { type: 'string' },
      'api-key': { type: 'string' },
      'api-url': { type: 'string' },
      'lifeline-url': { type: 'string' },
      resolution: { type: 'string' },
      metric: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const required = (name: keyof typeof values) => {
    const value = values[name];
    if (value === undefined) throw new UsageError(`${group} ${action} needs --${name}`);
    return value as string;
  };
  const positional = (what: string) => {
    if (!positionals[0]) throw new UsageError(`${group} ${action} needs ${what}`);
    return encodeURIComponent(positionals[0]);
  };
  const notify = values['no-notify'] ? { deliver_notifications: false } : {};
  let resolution: number | undefined;
  if (values.resolution !== undefined) {
    resolution = Number(values.resolution);
    if (!/^\d+$/.test(values.resolution) || resolution < 1 || resolution > 3600)
      throw new UsageError('--resolution must be a whole number of seconds from 1 to 3600');
  }
  if (`${group} ${action}` === 'heartbeats import' && !positionals[0]) throw new UsageError('heartbeats import needs FILE.csv');

  const remote = values['lifeline-url'] ?? env.LIFELINE_URL;
  let transport: Transport;
  if (remote) {
    if (!env.LIFELINE_TOKEN)
      throw new UsageError('--lifeline-url needs an admin token in LIFELINE_TOKEN (create one with: lifeline token create --name import --scope admin)');
    transport = connectRemote(remote, env.LIFELINE_TOKEN);
  } else {
    transport = await connect(loadConfig(env));
  }
  if (transport.notice) warn(transport.notice);
  try {
    const call = async (method: string, path: string, body?: unknown) => expectOk(await transport.request(method, path, body));
    switch (`${group} ${action}`) {
      case 'token create': {
        const token = await call('POST', '/api/v1/tokens', { name: required('name'), scopes: values.scope ?? [] });
        out(`Created token ${token.prefix} "${token.name}" with scopes ${(token.scopes as string[]).join(', ')}.`);
        out('Store it now: it is shown only once. Use it as: Authorization: Bearer <token>');
        out(String(token.token));
        return;
      }
      case 'token list': {
        const { tokens } = (await call('GET', '/api/v1/tokens')) as { tokens: Record<string, unknown>[] };
        if (tokens.length === 0) out('No tokens. Create one with: lifeline token create --name NAME --scope incidents:write');
        for (const t of tokens)
          out(`${t.prefix}  ${t.revoked_at ? 'revoked' : 'active '}  ${(t.scopes as string[]).join(',')}  ${t.name}  last used: ${t.last_used_at ?? 'never'}`);
        return;
      }
      case 'token revoke': {
        const token = await call('DELETE', `/api/v1/tokens/${positional('a token id or prefix')}`);
        out(`Revoked ${token.prefix} "${token.name}".`);
        return;
      }
      case 'user create': {
        const user = await call('POST', '/api/v1/users', { email: required('email'), role: required('role'), ...(values.name ? { name: values.name } : {}) });
        out(`Created ${user.role} account ${user.email} (${user.id}).`);
        out(`Open this link within 15 minutes to sign in and choose a password (it works once):`);
        out(String(user.sign_in_url));
        return;
      }
      case 'user list': {
        const { users } = (await call('GET', '/api/v1/users')) as { users: Record<string, unknown>[] };
        if (users.length === 0) out('No console accounts. Create one with: lifeline user create --email EMAIL --role admin');
        for (const u of users)
          out(
            `${u.id}  ${String(u.role).padEnd(9)}  ${u.disabled_at ? 'disabled' : 'active  '}  ${u.has_password ? 'password   ' : 'no password'}  ${u.email}${u.name ? ` (${u.name})` : ''}`,
          );
        return;
      }
      case 'user disable': {
        const user = await call('POST', `/api/v1/users/${encodeURIComponent(required('email'))}/disable`);
        out(`Disabled ${user.email}: its sessions and sign-in links no longer work.`);
        return;
      }
      case 'incident create': {
        const incident = await call('POST', '/api/v1/incidents', {
          name: required('name'),
          body: required('body'),
          status: values.status,
          impact: values.impact,
          components: parseComponents(values.component),
          ...notify,
        });
        printIncident(incident, out);
        return;
      }
      case 'incident update':
      case 'incident resolve': {
        const id = positional('an incident id');
        const status = action === 'resolve' ? 'resolved' : values.status;
        const body = values.body ?? (action === 'resolve' ? 'This incident has been resolved.' : required('body'));
        printIncident(await call('POST', `/api/v1/incidents/${id}/updates`, { status, body, components: parseComponents(values.component), ...notify }), out);
        return;
      }
      case 'incident list': {
        const { incidents } = (await call('GET', '/api/v1/incidents')) as { incidents: Record<string, unknown>[] };
        if (incidents.length === 0) out('No incidents.');
        for (const incident of incidents) printIncident(incident, out);
        return;
      }
      case 'incident show': {
        const incident = await call('GET', `/api/v1/incidents/${positional('an incident id')}`);
        printIncident(incident, out);
        for (const update of incident.incident_updates as Record<string, unknown>[]) out(`  ${update.display_at}  ${update.status}: ${update.body}`);
        return;
      }
      case 'component list': {
        const { components } = (await call('GET', '/api/v1/components')) as { components: Record<string, unknown>[] };
        for (const c of components) out(`${c.id}  ${String(c.status).padEnd(20)}  ${c.group ? `[${c.name}]` : `  ${c.name}`}`);
        return;
      }
      case 'component set': {
        if (!positionals[1]) throw new UsageError('component set needs ID_OR_KEY and STATUS');
        const component = await call('PATCH', `/api/v1/components/${positional('a component id or key')}`, { status: positionals[1], ...notify });
        out(`${component.id}  ${component.status}  ${component.name}`);
        return;
      }
      case 'maintenance schedule': {
        const maintenance = await call('POST', '/api/v1/maintenances', {
          name: required('name'),
          body: required('body'),
          scheduled_for: required('from'),
          scheduled_until: required('until'),
          components: values.component,
          auto_start: !values.manual,
          auto_complete: !values.manual,
          ...notify,
        });
        printIncident(maintenance, out);
        return;
      }
      case 'maintenance start':
      case 'maintenance complete': {
        const body = values.body === undefined ? {} : { body: values.body };
        printIncident(await call('POST', `/api/v1/maintenances/${positional('a maintenance id')}/${action}`, { ...body, ...notify }), out);
        return;
      }
      case 'maintenance list': {
        const { scheduled_maintenances: list } = (await call('GET', '/api/v1/maintenances')) as { scheduled_maintenances: Record<string, unknown>[] };
        if (list.length === 0) out('No maintenances.');
        for (const m of list) out(`${m.id}  ${m.status}  ${m.scheduled_for} → ${m.scheduled_until}  ${m.name}`);
        return;
      }
      case 'import statuspage': {
        const apiKey = values['api-key'] ?? env.STATUSPAGE_API_KEY;
        if (!apiKey) throw new UsageError('import statuspage needs --api-key (or STATUSPAGE_API_KEY)');
        await importStatuspage({
          pageId: required('page-id'),
          apiKey,
          apiUrl: values['api-url'],
          transport,
          out,
          progress: (line) => options.progress(terminalSafe(line)),
          wait: options.wait,
        });
        return;
      }
      case 'heartbeats import': {
        const result = await importHistoryFile({
          path: positionals[0],
          resolution,
          metric: values.metric,
          region: values.region,
          metrics: loadConfig(env).pageDefinition.heartbeats ?? [],
          now: Date.now(),
          request: (body) => transport.request('POST', '/api/v1/heartbeats/history', body),
          out,
          progress: (line, done) => {
            options.progress(terminalSafe(line));
            if (done) options.progress('');
          },
        });
        out(
          `Imported ${result.points.toLocaleString('en-US')} points into ${result.series.length} series in ${result.requests} request${result.requests === 1 ? '' : 's'}. The detector uses them from its next evaluation; with 3 weeks or more a series has a weekly baseline at once.`,
        );
        return;
      }
      default:
        throw new UsageError(`unknown command "${[group, action].filter(Boolean).join(' ')}"`);
    }
  } finally {
    await transport.close();
  }
}

export async function main(): Promise<void> {
  // The CLI may create the embedded database (no server running): its files are private, as the server's.
  process.umask(PRIVATE_UMASK);
  try {
    await run(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`));
    process.exit(0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) process.stderr.write(`lifeline: ${message}\n\n${USAGE}\n`);
    else if (error instanceof ConfigError) process.stderr.write(`lifeline: configuration error: ${message}\n`);
    else if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') process.stderr.write(`lifeline: ${message}\n`);
    else process.stderr.write(`lifeline: ${message}\n`);
    process.exit(1);
  }
}
