-- E-mail: a reader's address and its confirmation, single-use tokens for
-- confirming and resetting, the notifications they chose, and the queue
-- every message leaves through (drained by the mail worker).

ALTER TABLE users ADD COLUMN email TEXT;
-- The address case-folded: one account per address, whatever its case.
ALTER TABLE users ADD COLUMN email_key TEXT;
ALTER TABLE users ADD COLUMN email_confirmed_at TIMESTAMP;
-- Notifications, each opt-in; sent at once or gathered into a daily digest.
ALTER TABLE users ADD COLUMN notify_replies BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN notify_featured BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN notify_removed BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN notify_digest BOOLEAN NOT NULL DEFAULT false;
-- When the last digest went out (or digests were chosen): the next is due a day later.
ALTER TABLE users ADD COLUMN digest_sent_at TIMESTAMP;
CREATE UNIQUE INDEX users_email_key ON users (email_key);

-- Links sent by mail. Only a SHA-256 of the token is kept, so a copy of
-- this table opens no account.
CREATE TABLE email_tokens (
    id          SERIAL PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- confirm | reset
    purpose     TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    -- The address it was sent to: confirming proves this one, not a later one.
    email       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX email_tokens_by_user ON email_tokens (user_id);

-- Every message, from queued to sent. The Message-ID is made when it is
-- queued, so a retry sends the same one.
CREATE TABLE mail_queue (
    id              SERIAL PRIMARY KEY,
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    -- confirm | reset | reply | featured | removed | digest
    kind            TEXT NOT NULL,
    -- The one-click unsubscribe address for notifications, else NULL.
    unsubscribe_url TEXT,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- Claimed by a worker until then; past it, another may take it.
    lease_until     TIMESTAMP,
    sent_at         TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX mail_queue_by_user ON mail_queue (user_id);

-- Notifications waiting for a reader's daily digest.
CREATE TABLE mail_digest_items (
    id          SERIAL PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX mail_digest_items_by_user ON mail_digest_items (user_id);
