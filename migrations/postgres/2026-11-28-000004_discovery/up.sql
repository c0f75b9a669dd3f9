-- Being found: organisation bylines for structured data, and full-text
-- search over articles (a generated tsvector, so it is always in sync).

ALTER TABLE authors ADD COLUMN is_organization BOOLEAN NOT NULL DEFAULT FALSE;

-- The body as plain text, for search and snippets (set by the importer).
ALTER TABLE articles ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
UPDATE articles SET body_text = body_markdown;

-- Headline weighs most, then the standfirst, then the body.
ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', headline), 'A')
    || setweight(to_tsvector('english', dek), 'B')
    || setweight(to_tsvector('english', body_text), 'C')
) STORED;

CREATE INDEX articles_search ON articles USING GIN (search);
