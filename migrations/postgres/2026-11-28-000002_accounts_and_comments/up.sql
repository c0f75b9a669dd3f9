-- Readers' accounts, server-side sessions, comments and rate limits.

CREATE TABLE users (
    id                  SERIAL PRIMARY KEY,
    username            TEXT NOT NULL,
    -- Lowercased username: names are unique whatever their case.
    username_key        TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL DEFAULT 'reader',
    created_at          TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL
);

-- One row per browser session. The id is a SHA-256 of the key in the
-- cookie, so a copy of this table cannot be replayed as cookies.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY NOT NULL,
    user_id             INTEGER REFERENCES users (id) ON DELETE CASCADE,
    state               TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    absolute_expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE comments (
    id               SERIAL PRIMARY KEY,
    article_id       INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    -- The comment this one answers (NULL for a top-level comment), the
    -- top-level comment of its thread (itself when top-level), its depth
    -- (1 to 3) and, when it answers someone deeper than depth 3, whom.
    parent_id        INTEGER REFERENCES comments (id),
    root_id          INTEGER,
    depth            INTEGER NOT NULL DEFAULT 1,
    reply_to_user_id INTEGER REFERENCES users (id),
    body             TEXT NOT NULL,
    -- published | held | removed (moderation)
    status           TEXT NOT NULL DEFAULT 'published',
    created_at       TIMESTAMP NOT NULL,
    edited_at        TIMESTAMP,
    deleted_at       TIMESTAMP
);
CREATE INDEX comments_article_top ON comments (article_id, parent_id, created_at);
CREATE INDEX comments_root ON comments (root_id);
CREATE INDEX comments_user ON comments (user_id, created_at);

-- Generic cell rate limiting: for each key, the theoretical arrival time
-- of the next request, in microseconds since the Unix epoch.
CREATE TABLE rate_limits (
    key     TEXT PRIMARY KEY NOT NULL,
    tat_us  BIGINT NOT NULL
);
