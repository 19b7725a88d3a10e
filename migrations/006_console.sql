-- The responder console: accounts, browser sessions, one-time sign-in links and incident templates.

CREATE TABLE responder_user (
  id            text PRIMARY KEY,
  email         text NOT NULL,
  name          text,
  role          text NOT NULL CHECK (role IN ('admin', 'responder', 'viewer')),
  -- scrypt$N$r$p$salt$hash (src/domain/password.ts); null until the user sets one (sign-in links only)
  password_hash text,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  disabled_at   timestamptz
);
CREATE UNIQUE INDEX responder_user_email ON responder_user (lower(email));

-- A browser session. The cookie holds a random token; only its SHA-256 is stored, so a leaked
-- table does not let anyone in.
CREATE TABLE console_session (
  id           text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES responder_user(id),
  created_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  -- sliding: min(last use + idle timeout, created_at + absolute lifetime)
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  -- 'password' or 'link': a fresh link sign-in may set a new password without the old one
  method       text NOT NULL CHECK (method IN ('password', 'link')),
  user_agent   text
);
CREATE INDEX console_session_by_user ON console_session (user_id, created_at DESC);

-- One-time sign-in links (emailed, or printed by `lifeline user create`): single use, short-lived.
CREATE TABLE sign_in_link (
  hash       text PRIMARY KEY,
  user_id    text NOT NULL REFERENCES responder_user(id),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX sign_in_link_by_user ON sign_in_link (user_id);

-- Ready-made first updates for the incidents a team declares again and again.
CREATE TABLE incident_template (
  id                 text PRIMARY KEY,
  name               text NOT NULL,
  title              text NOT NULL,
  status             text NOT NULL,
  -- null: computed from the component statuses, as for the API
  impact             text,
  body               text NOT NULL,
  -- {component id: new status}
  component_statuses jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);
CREATE UNIQUE INDEX incident_template_name ON incident_template (lower(name));
