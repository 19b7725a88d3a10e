-- The dispatcher expands a public notice to webhook endpoints first, then to email addresses, each
-- in subscriber-id order: this index walks one type's active subscribers in id order directly
-- (without it, each webhook chunk scanned past every email subscriber).
CREATE INDEX subscriber_fanout ON subscriber (type, id) WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;
