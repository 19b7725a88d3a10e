import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { randomIds } from '../../src/domain/ids.ts';
import { checkPasswordStrength, hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../../src/domain/password.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { createUser } from '../../src/services/access/create-user.ts';
import { disableUser } from '../../src/services/access/disable-user.ts';
import { setPassword } from '../../src/services/access/set-password.ts';
import { authenticateSession } from '../../src/services/access/authenticate-session.ts';
import { createSession } from '../../src/services/access/create-session.ts';
import { redeemSignInLink } from '../../src/services/access/redeem-sign-in-link.ts';
import { requestSignInLink } from '../../src/services/access/request-sign-in-link.ts';
import { revokeSession } from '../../src/services/access/revoke-session.ts';
import { mayResetPassword, SESSION_IDLE_MS, SESSION_MAX_MS, SIGN_IN_LINK_TTL_MS } from '../../src/services/access/session-rules.ts';
import { signInWithPassword } from '../../src/services/access/sign-in-with-password.ts';
import { peekSignInLink } from '../../src/queries/sessions.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/database.ts';

describe('password hashing', () => {
  it('stores scrypt with its parameters and a random salt, and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword('correct horse battery')).not.toBe(stored); // salted
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it('refuses malformed or tampered hashes without throwing', async () => {
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1073741824$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(false);
    expect(needsRehash('scrypt$16384$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA')).toBe(true);
    expect(await verifyAgainstDummy('anything at all')).toBe(false);
  });

  it('explains what is wrong with a weak password', () => {
    expect(() => checkPasswordStrength('password', 'short')).toThrow('password: must be at least 12 characters');
    expect(() => checkPasswordStrength('password', '')).toThrow('password: enter a password');
    expect(() => checkPasswordStrength('password', ' '.repeat(20))).toThrow('must not be only spaces');
    expect(checkPasswordStrength('password', 'twelve chars')).toBe('twelve chars');
  });
});

describe.each(engines())('accounts, sessions and sign-in links on %s', (engine) => {
  let database: TestDatabase;
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  let ctx: ServiceContext;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ctx = { db: database.db, clock, ids: randomIds, actor: labelledOperator('test') };
  });
  afterAll(() => database.dispose());

  it('signs in with the right password only, the same way for unknown, password-less and disabled accounts', async () => {
    // A responder: the last enabled admin could not be disabled below.
    const { user } = await createUser(ctx, { email: 'Ana@Example.com', role: 'responder', name: 'Ana' });
    expect(await signInWithPassword(ctx, { email: 'ana@example.com', password: 'no password yet!' }, null)).toBeNull();
    await setPassword(ctx, user.id, { password: 'a long passphrase', confirm: 'a long passphrase' });
    const signedIn = await signInWithPassword(ctx, { email: 'ANA@example.com', password: 'a long passphrase' }, 'vitest');
    expect(signedIn?.user.id).toBe(user.id);
    expect(signedIn?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await signInWithPassword(ctx, { email: 'ana@example.com', password: 'a long passphrasE' }, null)).toBeNull();
    expect(await signInWithPassword(ctx, { email: 'nobody@example.com', password: 'a long passphrase' }, null)).toBeNull();
    // Only the hash of the cookie token is stored.
    const rows = await database.db.query<{ id: string }>('SELECT id FROM console_session WHERE user_id = $1', [user.id]);
    expect(rows.map((r) => r.id)).not.toContain(signedIn?.token);
    await disableUser(ctx, user.id);
    expect(await signInWithPassword(ctx, { email: 'ana@example.com', password: 'a long passphrase' }, null)).toBeNull();
    expect(await authenticateSession(ctx, signedIn!.token)).toBeNull();
  });

  it('refuses a duplicate address (any case), an unknown role and a bad address, naming the field', async () => {
    await createUser(ctx, { email: 'dup@example.com', role: 'viewer' });
    await expect(createUser(ctx, { email: 'DUP@example.com', role: 'viewer' })).rejects.toThrow(/email: an account for DUP@example.com already exists/);
    await expect(createUser(ctx, { email: 'x@example.com', role: 'owner' })).rejects.toMatchObject({ field: 'role' });
    await expect(createUser(ctx, { email: 'not-an-address', role: 'viewer' })).rejects.toMatchObject({ field: 'email' });
  });

  it('expires a session after 12 idle hours, slides with use, and ends 7 days after sign-in regardless', async () => {
    const { user } = await createUser(ctx, { email: 'idle@example.com', role: 'responder' });
    const idle = await createSession(ctx, user, 'password', null);
    clock.advance(SESSION_IDLE_MS - 1000);
    expect(await authenticateSession(ctx, idle.token)).not.toBeNull(); // used: slides 12 h from now
    clock.advance(SESSION_IDLE_MS - 1000);
    expect(await authenticateSession(ctx, idle.token)).not.toBeNull();
    clock.advance(SESSION_IDLE_MS + 1000);
    expect(await authenticateSession(ctx, idle.token)).toBeNull();

    const busy = await createSession(ctx, user, 'password', null);
    for (let elapsed = 0; elapsed < SESSION_MAX_MS - 3600_000; elapsed += 6 * 3600_000) {
      expect(await authenticateSession(ctx, busy.token)).not.toBeNull();
      clock.advance(6 * 3600_000);
    }
    clock.set(new Date(busy.session.created_at.getTime() + SESSION_MAX_MS + 1000));
    expect(await authenticateSession(ctx, busy.token)).toBeNull();
  });

  it('refuses a revoked session, and only its owner can revoke it through the user-scoped call', async () => {
    const { user } = await createUser(ctx, { email: 'rev@example.com', role: 'responder' });
    const { user: other } = await createUser(ctx, { email: 'other@example.com', role: 'responder' });
    const session = await createSession(ctx, user, 'password', null);
    expect(await revokeSession(ctx, session.session.id, other.id)).toBe(false);
    expect(await authenticateSession(ctx, session.token)).not.toBeNull();
    expect(await revokeSession(ctx, session.session.id, user.id)).toBe(true);
    expect(await authenticateSession(ctx, session.token)).toBeNull();
    expect(await authenticateSession(ctx, 'garbage')).toBeNull();
  });

  it('uses a sign-in link once, within 15 minutes, and a new link supersedes older ones', async () => {
    const { user, link } = await createUser(ctx, { email: 'link@example.com', role: 'viewer' });
    expect(link.expiresAt.getTime() - clock.now().getTime()).toBe(SIGN_IN_LINK_TTL_MS);
    expect((await peekSignInLink(database.db, link.token, clock.now()))?.id).toBe(user.id); // looking does not use it
    expect((await peekSignInLink(database.db, link.token, clock.now()))?.id).toBe(user.id);
    const first = await redeemSignInLink(ctx, link.token, null);
    expect(first?.user.id).toBe(user.id);
    expect(mayResetPassword(first!.session, clock.now())).toBe(true);
    expect(await redeemSignInLink(ctx, link.token, null)).toBeNull();
    expect(await peekSignInLink(database.db, link.token, clock.now())).toBeNull();

    const late = await requestSignInLink(ctx, { email: 'LINK@example.com' });
    clock.advance(SIGN_IN_LINK_TTL_MS + 1);
    expect(await redeemSignInLink(ctx, late!.link.token, null)).toBeNull();

    const older = await requestSignInLink(ctx, { email: 'link@example.com' });
    const newer = await requestSignInLink(ctx, { email: 'link@example.com' });
    expect(await redeemSignInLink(ctx, older!.link.token, null)).toBeNull();
    expect(await redeemSignInLink(ctx, newer!.link.token, null)).not.toBeNull();
    expect(await requestSignInLink(ctx, { email: 'unknown@example.com' })).toBeNull();
  });

  it('needs the current password to change one, except right after a sign-in link', async () => {
    const { user, link } = await createUser(ctx, { email: 'change@example.com', role: 'responder' });
    await setPassword(ctx, user.id, { password: 'first long password', confirm: 'first long password' });
    await expect(setPassword(ctx, user.id, { password: 'second long password', confirm: 'second long password' })).rejects.toMatchObject({ field: 'current' });
    await expect(setPassword(ctx, user.id, { current: 'wrong', password: 'second long password', confirm: 'second long password' })).rejects.toThrow(
      'current: is not your current password',
    );
    await expect(setPassword(ctx, user.id, { current: 'first long password', password: 'short', confirm: 'short' })).rejects.toMatchObject({
      field: 'password',
    });
    await expect(
      setPassword(ctx, user.id, { current: 'first long password', password: 'second long password', confirm: 'second long passwordx' }),
    ).rejects.toMatchObject({ field: 'confirm' });
    const keep = await createSession(ctx, user, 'password', null);
    const other = await createSession(ctx, user, 'password', null);
    await setPassword(
      ctx,
      user.id,
      { current: 'first long password', password: 'second long password', confirm: 'second long password' },
      { keepSessionId: keep.session.id },
    );
    expect(await authenticateSession(ctx, keep.token)).not.toBeNull();
    expect(await authenticateSession(ctx, other.token)).toBeNull();
    expect(await signInWithPassword(ctx, { email: 'change@example.com', password: 'second long password' }, null)).not.toBeNull();

    const viaLink = await redeemSignInLink(ctx, link.token, null);
    expect(mayResetPassword(viaLink!.session, clock.now())).toBe(true);
    clock.advance(16 * 60_000);
    expect(mayResetPassword(viaLink!.session, clock.now())).toBe(false);
  });
});
