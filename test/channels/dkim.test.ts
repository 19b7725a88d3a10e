import { generateKeyPairSync } from 'node:crypto';
import DKIM from 'nodemailer/lib/dkim';
import { describe, expect, it } from 'vitest';
import { relaxedBodyHash, signRawMessage, type DkimKey } from '../../src/channels/dkim.ts';

/**
 * Our signer for raw copies must write exactly the bytes nodemailer's DKIM stream writes (RSA
 * PKCS#1 v1.5 signatures are deterministic, so the whole output can be compared).
 */
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key: DkimKey = {
  domainName: 'acme.example',
  keySelector: 'lifeline',
  privateKey,
  headerFieldNames: 'From:Subject:Date:Message-ID:To:MIME-Version:Content-Type:List-Id:List-Unsubscribe:List-Unsubscribe-Post',
};

async function nodemailerSigned(raw: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of new DKIM({ ...key }).sign(raw)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const HEADERS =
  'To: ada@example.net\r\nDate: Sat, 05 Dec 2026 22:00:00 +0000\r\nMessage-ID: <n1.u1@acme.example>\r\n' +
  'List-Unsubscribe: <https://status.acme.example/unsubscribe/u1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n' +
  'From: "Acme Status" <status@acme.example>\r\nSubject: [Acme] Messages delayed\r\nList-Id: Acme status <status.acme.example>\r\n' +
  'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="--_b1"\r\n';

const cases: Record<string, string> = {
  'a copy as writeCopy writes it': `${HEADERS}\r\n----_b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n----_b1--\r\n`,
  'whitespace runs, trailing whitespace and tabs': `${HEADERS}\r\nA  line\twith \t runs   \r\n \t leading\r\ntrailing tab\t\r\n   \r\nend\r\n`,
  'empty lines at the end': `${HEADERS}\r\nbody\r\n\r\n\r\n \r\n\r\n`,
  'empty lines in the middle are kept': `${HEADERS}\r\none\r\n\r\n\r\ntwo\r\n`,
  'no final line break': `${HEADERS}\r\nlast line without CRLF  `,
  'bare LF and lone CR': `${HEADERS}\r\nunix\nline\r\nlone\rcr\r\nend\r`,
  'an empty body': `${HEADERS}\r\n`,
  'a body of empty lines only': `${HEADERS}\r\n\r\n\r\n`,
  'a header repeated, folded and with spaces around the colon': `Subject : first\r\n${HEADERS}X-Other:\tvalue\r\nTo:  bob@example.net\r\n\t(second)\r\n\r\nbody\r\n`,
};

describe('signRawMessage', () => {
  for (const [name, text] of Object.entries(cases)) {
    it(`writes the bytes nodemailer's DKIM stream writes: ${name}`, async () => {
      const raw = Buffer.from(text, 'latin1');
      const ours = signRawMessage(raw, key);
      expect(ours?.toString('latin1')).toBe((await nodemailerSigned(raw)).toString('latin1'));
    });
  }

  it('signs every copy on its own: a different unsubscribe link is a different signature', () => {
    const one = signRawMessage(Buffer.from(cases['a copy as writeCopy writes it']), key)!.toString();
    const two = signRawMessage(Buffer.from(cases['a copy as writeCopy writes it'].replace('/u1>', '/u2>')), key)!.toString();
    const b = (signed: string) => /\bb=([^;]+)$/m.exec(signed.slice(0, signed.indexOf('\r\nTo:')).replace(/\r\n\s+/g, ''))?.[1];
    expect(b(one)).toBeTruthy();
    expect(b(one)).not.toBe(b(two));
  });
});

describe('relaxedBodyHash', () => {
  it('hashes an empty body as the empty string (RFC 6376 3.4.4)', () => {
    expect(relaxedBodyHash(Buffer.alloc(0))).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    expect(relaxedBodyHash(Buffer.from('\r\n\r\n'))).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('hashes " C \\r\\nD \\t E\\r\\n\\r\\n\\r\\n" as " C\\r\\nD E\\r\\n" (the RFC 6376 3.4.5 example)', () => {
    expect(relaxedBodyHash(Buffer.from(' C \r\nD \t E\r\n\r\n\r\n'))).toBe(relaxedBodyHash(Buffer.from(' C\r\nD E\r\n')));
    expect(relaxedBodyHash(Buffer.from(' C \r\nD \t E\r\n'))).not.toBe(relaxedBodyHash(Buffer.from('C\r\nD E\r\n')));
  });
});
