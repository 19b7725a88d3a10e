import { describe, expect, it } from 'vitest';
import { ConfigError, ENVIRONMENT, loadConfig, readEnvironment, validatePageDefinition } from '../src/config.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('environment', () => {
  it('has a default for every variable', () => {
    const env = readEnvironment({});
    expect(env.PORT).toBe(8080);
    expect(env.LIFELINE_ROLES).toEqual(['web', 'worker']);
    expect(env.DATABASE_URL).toBe('');
  });
  it.each([
    ['PORT', 'eighty'],
    ['LIFELINE_ROLES', 'web,cron'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['LIFELINE_PUBLIC_URL', 'status.example.com'],
    ['LIFELINE_TRUST_PROXY', 'maybe'],
    ['LOG_LEVEL', 'loud'],
  ])('names %s when its value %j is invalid', (name, value) => {
    expect(() => readEnvironment({ [name]: value })).toThrow(ConfigError);
    expect(() => readEnvironment({ [name]: value })).toThrow(name);
  });
  it('checks the DKIM settings together at start, naming the missing one', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'acme.example' })).toThrow(/^DKIM_SELECTOR must be set/);
    expect(() => loadConfig({ DKIM_DOMAIN: 'acme.example', DKIM_SELECTOR: 's1' })).toThrow(/^DKIM_PRIVATE_KEY_FILE must be set/);
    expect(() => loadConfig({ DKIM_DOMAIN: 'acme.example', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY_FILE: '/nonexistent/dkim.pem' })).toThrow(
      /^DKIM_PRIVATE_KEY_FILE: file not found/,
    );
  });
  it('documents every variable in the README', () => {
    const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
    for (const name of Object.keys(ENVIRONMENT)) expect(readme, name).toContain(`\`${name}\``);
  });
});

describe('page definition file', () => {
  it('accepts the example shipped with the project', () => {
    const config = loadConfig({ LIFELINE_CONFIG: 'lifeline.config.yaml' }, join(import.meta.dirname, '..'));
    expect(config.pageDefinition.groups?.map((g) => g.key)).toEqual(['us', 'eu', 'au']);
  });
  it('names the offending field', () => {
    expect(() => validatePageDefinition({ page: { name: 'x' }, components: [{ key: 'Bad Key', name: 'x' }] })).toThrow(/components\.0\.key/);
    expect(() =>
      validatePageDefinition({
        page: { name: 'x' },
        components: [
          { key: 'a', name: 'x' },
          { key: 'a', name: 'y' },
        ],
      }),
    ).toThrow(/"a" is used twice/);
    expect(() => validatePageDefinition({ page: { name: 'x', time_zone: 'Mars/Olympus' } })).toThrow(/page\.time_zone/);
    expect(() => validatePageDefinition({ page: { name: 'x' }, colour: 'red' })).toThrow(/colour|additional/);
    expect(() =>
      validatePageDefinition({ page: { name: 'x', components_from: 'console' }, groups: [{ key: 'g', name: 'G', components: [{ key: 'a', name: 'A' }] }] }),
    ).toThrow(/^page definition: groups: page\.components_from is "console"/);
    expect(() => validatePageDefinition({ page: { name: 'x', components_from: 'database' } })).toThrow(/page\.components_from/);
    const alerting = (email: string) => ({
      page: { name: 'x' },
      heartbeats: [{ key: 'm', label: 'M', regions: ['eu'], alert: { emails: ['ops@acme.example', email] } }],
    });
    // A display name or a list would make the mail library send somewhere else than the address we show.
    expect(() => validatePageDefinition(alerting('"Ops"<victim@evil.example>'))).toThrow(/heartbeats\.0\.alert\.emails\.1: must be a plain address/);
    expect(() => validatePageDefinition(alerting('victim@evil.example(oncall@acme.example)'))).toThrow(/heartbeats\.0\.alert\.emails\.1/);
    expect(() => validatePageDefinition(alerting('OnCall@Acme.Example'))).not.toThrow();
  });
});
