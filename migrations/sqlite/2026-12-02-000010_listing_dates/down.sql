DROP TRIGGER articles_listing_dates;
DROP TRIGGER article_tags_dated;
DROP TRIGGER article_authors_dated;
CREATE INDEX article_authors_author ON article_authors (author_id);
CREATE INDEX article_tags_tag ON article_tags (tag_id);
DROP INDEX article_tags_listing;
DROP INDEX article_authors_listing;
ALTER TABLE article_tags DROP COLUMN published_at;
ALTER TABLE article_authors DROP COLUMN published_at;
