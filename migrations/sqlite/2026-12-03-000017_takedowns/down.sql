DROP TRIGGER article_authors_dated;
DROP TRIGGER article_tags_dated;
DROP TRIGGER articles_listing_dates;

CREATE TRIGGER article_authors_dated AFTER INSERT ON article_authors BEGIN
    UPDATE article_authors SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = new.article_id)
    WHERE article_id = new.article_id AND author_id = new.author_id;
END;

CREATE TRIGGER article_tags_dated AFTER INSERT ON article_tags BEGIN
    UPDATE article_tags SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = new.article_id)
    WHERE article_id = new.article_id AND tag_id = new.tag_id;
END;

CREATE TRIGGER articles_listing_dates AFTER UPDATE OF published_at ON articles BEGIN
    UPDATE article_authors SET published_at = new.published_at WHERE article_id = new.id;
    UPDATE article_tags SET published_at = new.published_at WHERE article_id = new.id;
END;

UPDATE article_authors SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_authors.article_id);
UPDATE article_tags SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_tags.article_id);

DROP INDEX articles_published;
DROP INDEX articles_section_published;
CREATE INDEX articles_published ON articles (published_at DESC, id DESC);
CREATE INDEX articles_section_published ON articles (section_id, published_at DESC, id DESC);

ALTER TABLE articles DROP COLUMN corrected_at;
ALTER TABLE articles DROP COLUMN correction;
ALTER TABLE articles DROP COLUMN unpublished_at;
