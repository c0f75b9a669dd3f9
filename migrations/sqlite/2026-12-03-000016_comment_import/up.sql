-- Comments and their authors brought in by `newsdesk import-comments`,
-- under the ids they had in the system they came from (a WordPress site or
-- a Disqus forum: `source`), so importing the same file again adds nothing.
CREATE TABLE imported_comments (
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    comment_id  INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    PRIMARY KEY (source, external_id)
);

-- The reader account made for each imported author: `key` is "email:" and
-- the address in lower case when the export had one, otherwise "name:" and
-- the name. `email` is kept here, not in `users`, until the account is
-- claimed (a password reset to this address, or `newsdesk user
-- set-password`).
CREATE TABLE imported_authors (
    source  TEXT NOT NULL,
    key     TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email   TEXT,
    PRIMARY KEY (source, key)
);
-- One account per address across sources: a reader who commented on the
-- WordPress site and on Disqus is found by their address.
CREATE INDEX imported_authors_email ON imported_authors (email);
