// nodemailer's own message-building rate, for bench/fanout.ts to compare Lifeline's emails/s with:
// streamTransport with buffer: true (no network), one message per recipient, a bounded window of 32
// sendMail() calls in flight, 200 unrecorded warm-up messages first: the method of
// shared/bench/ceilings/mail-bench.mjs (--mode stream). Two messages are built:
//   reference: mail-bench.mjs's ~12 KB multipart/alternative incident notice (same generator);
//   lifeline:  the message Lifeline actually sent in this run (parsed from the SMTP sink's first
//              message), with a per-recipient To, Message-ID and link tokens.
// usage: node bench/fanout-mail-ceiling.ts [--n 5000] [--warmup 200] [--sample sample.eml]
//        node bench/fanout-mail-ceiling.ts --smtp smtp://127.0.0.1:PORT --sample sample.eml [--pool 5]
//          (raw_pool: the SMTP hand-off reference, pooled transport sending the prebuilt sample)
//        node bench/fanout-mail-ceiling.ts --dkim --sample sample.eml
//          (dkim: CPU per RSA-2048 signature of the sample, by Lifeline's signer, by nodemailer's DKIM
//          stream, and the bare crypto.sign of the same header bytes)
// Prints one JSON line per message kind.
import { createHmac, generateKeyPairSync, randomBytes, sign as rsaSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import DKIM from 'nodemailer/lib/dkim';
import type { SendMailOptions } from 'nodemailer';
import PostalMime from 'postal-mime';
import { DKIM_SIGNED_HEADERS, signRawMessage } from '../src/channels/dkim.ts';

const { values: o } = parseArgs({
  options: {
    n: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '200' },
    sample: { type: 'string' },
    smtp: { type: 'string' },
    pool: { type: 'string', default: '5' },
    dkim: { type: 'boolean', default: false },
  },
});
const N = Number(o.n);
const WARMUP = Number(o.warmup);
const WINDOW = 32;

// ---- mail-bench.mjs's message, unchanged ----------------------------------------------------
const SECRET = Buffer.from('bench-unsubscribe-signing-key-0123456789abcdef');
const COMPONENTS = [
  ['Public API', 'Major outage'],
  ['Webhooks', 'Degraded performance'],
  ['Dashboard', 'Operational'],
  ['Authentication & SSO', 'Operational'],
  ['Email delivery', 'Operational'],
  ['Search indexing', 'Operational'],
  ['CDN', 'Operational'],
  ['Primary database (EU)', 'Operational'],
  ['Primary database (US)', 'Operational'],
];
const UPDATES = [
  [
    'Monitoring',
    '14:42 UTC',
    'A fix has been deployed to the API gateway fleet and error rates are recovering across all regions. Webhook delivery backlogs are draining at roughly 40,000 events per minute; we expect them to be clear within 25 minutes. We will post another update once all queues are empty.',
  ],
  [
    'Identified',
    '14:18 UTC',
    'The issue has been traced to a configuration change in the API gateway connection pool that reduced upstream capacity by roughly half. We are rolling the change back region by region, starting with eu-west, and are adding a guard to our deploy pipeline to catch this class of change before it reaches production.',
  ],
  [
    'Investigating',
    '13:57 UTC',
    'We are investigating reports of 502 and 503 responses from the Public API. Some webhook deliveries are delayed as a result. Customers may also notice slower page loads in the dashboard — requests that fail are safe to retry.',
  ],
];
const esc = (s: string) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function renderText(name: string, unsubUrl: string, prefsUrl: string) {
  const lines = [
    `Hi ${name},`,
    '',
    'Example Cloud — incident update',
    '',
    'Elevated error rates on the Public API',
    'Impact: major · Started 13:52 UTC · Affected: Public API, Webhooks',
    '',
  ];
  for (const [label, at, text] of UPDATES) lines.push(`${label} (${at})`, text, '');
  lines.push('Current component status:');
  for (const [c, s] of COMPONENTS) lines.push(`  - ${c}: ${s}`);
  lines.push(
    '',
    'Follow this incident: https://status.example.test/incidents/inc_7f3a9c',
    '',
    'What we are doing next: once the rollback is complete in every region we will run a full reconciliation',
    'of webhook deliveries that were retried during the incident, so no event is delivered twice to your endpoint.',
    'A post-incident review with a timeline and the corrective actions will be published within five business days.',
    '',
    '—',
    'You are receiving this because you subscribed to incident notifications for Example Cloud.',
    `Manage your subscription: ${prefsUrl}`,
    `Unsubscribe from all notifications: ${unsubUrl}`,
    '',
    'Example Cloud Inc. · 1 Example Street · Example City',
  );
  return lines.join('\n');
}

function renderHtml(name: string, unsubUrl: string, prefsUrl: string) {
  const td = 'style="padding:8px 12px;border-bottom:1px solid #e6e7e9;font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#1d273b"';
  const comp = COMPONENTS.map(
    ([c, s]) =>
      `<tr><td ${td}>${esc(c)}</td><td ${td} align="right"><span style="color:${s === 'Operational' ? '#2fb344' : s.startsWith('Major') ? '#d63939' : '#b7950b'};font-weight:600">${esc(s)}</span></td></tr>`,
  ).join('\n');
  const ups = UPDATES.map(
    ([label, at, text]) =>
      `<tr><td style="padding:12px 0;border-top:1px dashed #e6e7e9;font-family:Helvetica,Arial,sans-serif"><p style="margin:0;font-size:14px;font-weight:700;color:#1d273b">${label} <span style="font-weight:400;color:#667382">— ${at}</span></p><p style="margin:4px 0 0;font-size:14px;line-height:1.5;color:#1d273b">${esc(text)}</p></td></tr>`,
  ).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Incident update: Elevated error rates on the Public API</title></head>
<body style="margin:0;padding:0;background:#f6f8fb">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f8fb"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border:1px solid #e6e7e9;border-radius:8px">
<tr><td style="padding:20px 24px;border-bottom:1px solid #e6e7e9;font-family:Helvetica,Arial,sans-serif;font-size:18px;font-weight:700;color:#1d273b">Example Cloud Status</td></tr>
<tr><td style="padding:20px 24px;font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#1d273b"><p style="margin:0 0 12px">Hi ${esc(name)},</p>
<p style="margin:0 0 4px;font-size:20px;font-weight:700;color:#d63939">Elevated error rates on the Public API</p>
<p style="margin:0;color:#667382">Impact: major · Started 13:52 UTC · Affected: Public API, Webhooks</p></td></tr>
<tr><td style="padding:0 24px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0">
${ups}
</table></td></tr>
<tr><td style="padding:16px 24px 4px;font-family:Helvetica,Arial,sans-serif;font-size:15px;font-weight:700;color:#1d273b">Current component status</td></tr>
<tr><td style="padding:0 24px 16px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border:1px solid #e6e7e9;border-radius:6px">
${comp}
</table></td></tr>
<tr><td style="padding:8px 24px 24px;font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#1d273b"><p style="margin:0 0 12px">Once the rollback is complete in every region we will reconcile webhook deliveries that were retried during the incident, so no event is delivered twice to your endpoint. A post-incident review will be published within five business days.</p>
<a href="https://status.example.test/incidents/inc_7f3a9c" style="display:inline-block;padding:10px 18px;background:#206bc4;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600">Follow this incident</a></td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e6e7e9;font-family:Helvetica,Arial,sans-serif;font-size:12px;line-height:1.5;color:#667382">You are receiving this because you subscribed to incident notifications for Example Cloud.<br>
<a href="${esc(prefsUrl)}" style="color:#667382">Manage your subscription</a> · <a href="${esc(unsubUrl)}" style="color:#667382">Unsubscribe from all notifications</a><br>Example Cloud Inc. · 1 Example Street · Example City</td></tr>
</table></td></tr></table></body></html>`;
}

function referenceMessage(i: number): SendMailOptions {
  const email = `subscriber${i}@example.test`;
  const name = `Subscriber ${i}`;
  const token = createHmac('sha256', SECRET).update(`${email}:inc_7f3a9c`).digest('base64url');
  const unsubUrl = `https://status.example.test/unsubscribe/${token}`;
  const prefsUrl = `https://status.example.test/subscription/${token}`;
  return {
    from: '"Example Cloud Status" <status@status.example.test>',
    to: `"${name}" <${email}>`,
    subject: '[Example Cloud] Update: Elevated error rates on the Public API — Monitoring',
    text: renderText(name, unsubUrl, prefsUrl),
    html: renderHtml(name, unsubUrl, prefsUrl),
    headers: {
      'List-Unsubscribe': `<${unsubUrl}>, <mailto:unsubscribe+${token}@status.example.test>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': 'Example Cloud incident notifications <incidents.status.example.test>',
      'X-Entity-Ref-ID': `inc_7f3a9c-upd3-${i}`,
      'Auto-Submitted': 'auto-generated',
    },
  };
}

// ---- Lifeline's own message, as received -----------------------------------------------------

/** A factory of per-recipient copies of the message Lifeline sent (tokens swapped for fresh ones). */
async function lifelineMessageFactory(raw: string): Promise<(i: number) => SendMailOptions> {
  const parsed = await PostalMime.parse(raw);
  const header = (name: string) => parsed.headers.find((h) => h.key === name.toLowerCase())?.value ?? '';
  const tokens = [...new Set([...(parsed.text ?? '').matchAll(/\/(?:unsubscribe|manage)\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/g)].map((m) => m[1]))];
  const swap = (text: string, fresh: string[]) => tokens.reduce((out, token, k) => out.split(token).join(fresh[k]), text);
  const listUnsubscribe = header('List-Unsubscribe');
  const listId = header('List-Id');
  const domain = /@([^>]+)>?$/.exec(parsed.messageId ?? '')?.[1] ?? 'localhost';
  const from = parsed.from?.address ? `${parsed.from.name ? `"${parsed.from.name}" ` : ''}<${parsed.from.address}>` : 'status@localhost';
  return (i: number) => {
    // The same shape (payload.mac, same lengths) with fresh random characters.
    const fresh = tokens.map((t) =>
      t
        .split('.')
        .map((part) => randomBytes(part.length).toString('base64url').slice(0, part.length))
        .join('.'),
    );
    return {
      from,
      to: `subscriber${i}@example.test`,
      subject: parsed.subject ?? '',
      text: swap(parsed.text ?? '', fresh),
      html: swap(parsed.html ?? '', fresh),
      messageId: `<delivery-${i}.1@${domain}>`,
      headers: {
        'List-Id': { prepared: true, value: listId },
        'List-Unsubscribe': { prepared: true, value: swap(listUnsubscribe, fresh) },
        'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
      },
    } as SendMailOptions;
  };
}

// ---- the timed loop (mail-bench.mjs's sendMany, stream mode) ---------------------------------

async function measure(kind: string, make: (i: number) => SendMailOptions) {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const sendMany = async (start: number, count: number) => {
    let next = 0;
    let sent = 0;
    let bytes = 0;
    const worker = async () => {
      while (next < count) {
        const i = start + next++;
        const info = await transporter.sendMail(make(i));
        bytes += (info.message as Buffer).length;
        sent++;
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
    return { sent, bytes };
  };
  await sendMany(1_000_000, WARMUP);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await sendMany(0, N);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  transporter.close();
  return {
    kind,
    n: N,
    sent: r.sent,
    wall_s: Number((wallMs / 1000).toFixed(3)),
    msgs_per_s: Number((r.sent / (wallMs / 1000)).toFixed(1)),
    cpu_pct: Number((((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(1)),
    cpu_ms_per_msg: Number(((cpu.user + cpu.system) / 1000 / r.sent).toFixed(3)),
    avg_msg_bytes: r.sent ? Math.round(r.bytes / r.sent) : 0,
  };
}

// ---- the SMTP hand-off reference: one prebuilt raw message through a pooled transport --------

/**
 * The cheapest a Node process can hand a message to SMTP here (issue 16's reference): nodemailer's
 * pooled SMTP transport sending the same prebuilt raw message (the one Lifeline sent) to the bench's
 * sink, each with its own envelope recipient. Nothing is built per message.
 */
async function measureRawPool(url: string, raw: Buffer, pool: number) {
  const transporter = nodemailer.createTransport({ url, pool: true, maxConnections: pool, maxMessages: Infinity });
  const sendMany = async (start: number, count: number) => {
    let next = 0;
    let sent = 0;
    const worker = async () => {
      while (next < count) {
        const i = start + next++;
        await transporter.sendMail({ envelope: { from: 'status@example.test', to: [`reference${i}@example.test`] }, raw });
        sent++;
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
    return sent;
  };
  await sendMany(1_000_000, WARMUP);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sent = await sendMany(0, N);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  transporter.close();
  return {
    kind: 'raw_pool',
    n: N,
    sent,
    wall_s: Number((wallMs / 1000).toFixed(3)),
    msgs_per_s: Number((sent / (wallMs / 1000)).toFixed(1)),
    cpu_pct: Number((((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(1)),
    cpu_ms_per_msg: Number(((cpu.user + cpu.system) / 1000 / sent).toFixed(3)),
    avg_msg_bytes: raw.length,
  };
}

/** CPU per signature, each way, on one unsigned copy of the sample (synchronous ways timed in a loop). */
async function measureDkim(sample: Buffer) {
  const raw = Buffer.from(sample.toString('latin1').replace(/^DKIM-Signature:[^\r\n]*(\r\n[ \t][^\r\n]*)*\r\n/i, ''), 'latin1');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = { domainName: 'bench.example', keySelector: 'lifeline', privateKey, headerFieldNames: DKIM_SIGNED_HEADERS };
  const header = raw.subarray(0, raw.indexOf('\r\n\r\n'));
  const time = async (run: () => unknown) => {
    for (let i = 0; i < WARMUP; i++) await run();
    const cpu = process.cpuUsage();
    for (let i = 0; i < N; i++) await run();
    const used = process.cpuUsage(cpu);
    return Number(((used.user + used.system) / 1000 / N).toFixed(3));
  };
  const lifeline = await time(() => signRawMessage(raw, key));
  const stream = await time(async () => {
    for await (const _chunk of new DKIM({ ...key }).sign(raw));
  });
  const signatureOnly = await time(() => rsaSign('sha256', header, privateKey));
  return { kind: 'dkim', n: N, avg_msg_bytes: raw.length, lifeline_cpu_ms: lifeline, nodemailer_stream_cpu_ms: stream, rsa_sign_cpu_ms: signatureOnly };
}

if (o.dkim) {
  if (!o.sample) throw new Error('--dkim needs --sample (the message to sign)');
  console.log(JSON.stringify(await measureDkim(readFileSync(o.sample))));
} else if (o.smtp) {
  // Only the SMTP reference (the build rates are measured after the receivers are gone).
  if (!o.sample) throw new Error('--smtp needs --sample (the message to send)');
  console.log(JSON.stringify(await measureRawPool(o.smtp, readFileSync(o.sample), Number(o.pool))));
} else {
  console.log(JSON.stringify(await measure('reference', referenceMessage)));
  if (o.sample) console.log(JSON.stringify(await measure('lifeline', await lifelineMessageFactory(readFileSync(o.sample, 'utf8')))));
}
