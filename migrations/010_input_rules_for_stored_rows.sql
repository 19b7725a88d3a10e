-- The input rules of the hostile-client review (issue 10), applied to rows stored before them.

-- Email addresses follow one rule now (src/domain/email-address.ts): a plain local@domain, domain
-- lower-cased. Console accounts were stored as typed: their domain is lower-cased like any new one
-- (the old account rule allowed exactly one @; matching stays case-insensitive, lower(email)).
UPDATE responder_user
   SET email = split_part(email, '@', 1) || '@' || lower(split_part(email, '@', 2))
 WHERE email LIKE '%_@_%' AND split_part(email, '@', 2) <> lower(split_part(email, '@', 2));

-- Email subscribers the old, looser rule let in (<a@b>, a(comment)@b, "quoted"@b, a@[192.0.2.1]):
-- a mail library reads another mailbox there than the one that was confirmed. They receive nothing
-- more, and the console shows why; the address can sign up again in the plain form.
UPDATE subscriber
   SET suppressed_at = now(), suppressed_reason = 'address is not a plain local@domain (name, comment, quotes or brackets)', updated_at = now()
 WHERE type = 'email' AND email IS NOT NULL AND suppressed_at IS NULL AND unsubscribed_at IS NULL
   AND email !~ '^[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$';

-- Heartbeat counts are capped at 1,000,000,000 per bucket (MAX_BUCKET_VALUE): an absurd value
-- pushed before (1e300, 2**63) would keep wrecking the charts and baselines, so it goes, with
-- the roll-ups it was summed into (a roll-up sums at most `samples` capped buckets).
DELETE FROM heartbeat_point WHERE value > 1e9;
DELETE FROM heartbeat_rollup WHERE value > 1e9 * samples;
