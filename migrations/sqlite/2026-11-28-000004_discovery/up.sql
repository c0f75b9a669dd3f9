-- Being found: organisation bylines for structured data, and full-text
-- search over articles (FTS5, kept in sync by triggers).

ALTER TABLE authors ADD COLUMN is_organization BOOLEAN NOT NULL DEFAULT 0;

-- The body as plain text, for search and snippets (set by the importer).
ALTER TABLE articles ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
UPDATE articles SET body_text = body_markdown;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    headline, dek, body_text,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, headline, dek, body_text) VALUES (new.id, new.headline, new.dek, new.body_text);
END;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, headline, dek, body_text)
    VALUES ('delete', old.id, old.headline, old.dek, old.body_text);
END;

CREATE TRIGGER articles_fts_update AFTER UPDATE OF headline, dek, body_text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, headline, dek, body_text)
    VALUES ('delete', old.id, old.headline, old.dek, old.body_text);
    INSERT INTO articles_fts (rowid, headline, dek, body_text) VALUES (new.id, new.headline, new.dek, new.body_text);
END;

INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
