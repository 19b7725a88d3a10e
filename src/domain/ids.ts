import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Source of identifiers and secrets; injected so tests can make them predictable. */
export interface IdSource {
  /** A Statuspage-style id: 12 lowercase letters and digits. */
  id(): string;
  /** `n` random bytes, for secrets. */
  bytes(n: number): Buffer;
}

export const randomIds: IdSource = {
  id() {
    const bytes = randomBytes(12);
    let out = '';
    for (const byte of bytes) out += ALPHABET[byte % 36];
    return out;
  },
  bytes: (n) => randomBytes(n),
};
