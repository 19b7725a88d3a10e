import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets Lifeline must read back to use (webhook signing secrets, the link-signing key) are
 * sealed with AES-256-GCM under LIFELINE_SECRET_KEY, kept outside the database (e.g. Secret
 * Manager), so a copy of the database alone does not let anyone forge webhooks or links.
 * Without a key they are stored as they are (development); unsealed values are always readable,
 * so a key can be added later (they are sealed at the next start).
 */
export interface SecretBox {
  readonly encrypting: boolean;
  seal(plain: string): string;
  open(stored: string): string;
}

const PREFIX = 'lfs1:';
const AAD = Buffer.from('lifeline-secret-v1');

export const isSealed = (stored: string) => stored.startsWith(PREFIX);

export const PLAIN_BOX: SecretBox = {
  encrypting: false,
  seal: (plain) => plain,
  open: (stored) => {
    if (isSealed(stored)) throw new Error('a stored secret is encrypted: set LIFELINE_SECRET_KEY to the key it was sealed with');
    return stored;
  },
};

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new RangeError('the secret key must be 32 bytes');
  return {
    encrypting: true,
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(AAD);
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${sealed.toString('base64url')}`;
    },
    open(stored) {
      if (!isSealed(stored)) return stored;
      const [iv, tag, sealed] = stored.slice(PREFIX.length).split('.');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(AAD).setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('a stored secret cannot be decrypted: LIFELINE_SECRET_KEY is not the key it was sealed with');
      }
    },
  };
}
