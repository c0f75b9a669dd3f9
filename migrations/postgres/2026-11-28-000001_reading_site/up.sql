-- The reading site: sections, authors, articles and their links, plus the
-- images the importer stores so that every instance serves the same files.
-- Timestamps are UTC, in TIMESTAMP WITHOUT TIME ZONE columns.

CREATE TABLE sections (
    id          SERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE authors (
    id         SERIAL PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    bio        TEXT NOT NULL DEFAULT '',
    avatar_url TEXT
);

CREATE TABLE media (
    id           SERIAL PRIMARY KEY,
    source_path  TEXT NOT NULL UNIQUE,
    digest       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX media_digest ON media (digest);

CREATE TABLE articles (
    id             SERIAL PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    headline       TEXT NOT NULL,
    dek            TEXT NOT NULL DEFAULT '',
    body_markdown  TEXT NOT NULL,
    body_html      TEXT NOT NULL,
    section_id     INTEGER NOT NULL REFERENCES sections (id),
    image_url      TEXT,
    image_alt      TEXT NOT NULL DEFAULT '',
    image_caption  TEXT NOT NULL DEFAULT '',
    image_credit   TEXT NOT NULL DEFAULT '',
    published_at   TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP,
    comments_open  BOOLEAN NOT NULL DEFAULT TRUE,
    imported_at    TIMESTAMP NOT NULL
);
CREATE INDEX articles_published ON articles (published_at DESC, id DESC);
CREATE INDEX articles_section_published ON articles (section_id, published_at DESC, id DESC);

CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES authors (id),
    position   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_author ON article_authors (author_id);

CREATE TABLE tags (
    id   SERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags (id),
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags (tag_id);
