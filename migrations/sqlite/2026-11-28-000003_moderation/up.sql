-- Moderation: bans, reports, the moderation log and site settings.

-- A ban: banned_at set; banned_until NULL means permanent.
ALTER TABLE users ADD COLUMN banned_at TIMESTAMP;
ALTER TABLE users ADD COLUMN banned_until TIMESTAMP;
ALTER TABLE users ADD COLUMN ban_reason TEXT;

-- Why a comment was held or removed, and by whom (NULL for automatic holds).
ALTER TABLE comments ADD COLUMN moderation_reason TEXT;
ALTER TABLE comments ADD COLUMN moderated_by INTEGER;
ALTER TABLE comments ADD COLUMN moderated_at TIMESTAMP;
CREATE INDEX comments_status_created ON comments (status, created_at);

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id  INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    reporter_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- spam | abuse | off_topic | misinformation | other
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    -- Set when a moderator removed the comment or dismissed the reports.
    resolved_at TIMESTAMP,
    UNIQUE (comment_id, reporter_id)
);
CREATE INDEX reports_open ON reports (resolved_at, comment_id);

CREATE TABLE moderation_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id       INTEGER REFERENCES users (id),
    -- remove | restore | approve | dismiss | ban | unban | role | close | reopen | settings
    action         TEXT NOT NULL,
    comment_id     INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    target_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    article_id     INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    reason         TEXT NOT NULL DEFAULT '',
    details        TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX moderation_log_created ON moderation_log (created_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
