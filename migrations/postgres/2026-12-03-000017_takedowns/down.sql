CREATE OR REPLACE FUNCTION listing_dated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT a.published_at INTO NEW.published_at FROM articles a WHERE a.id = NEW.article_id;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION articles_listing_dates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE article_authors SET published_at = NEW.published_at WHERE article_id = NEW.id;
    UPDATE article_tags SET published_at = NEW.published_at WHERE article_id = NEW.id;
    RETURN NULL;
END $$;

DROP TRIGGER articles_listing_dates ON articles;
CREATE TRIGGER articles_listing_dates AFTER UPDATE OF published_at ON articles
FOR EACH ROW EXECUTE FUNCTION articles_listing_dates();

UPDATE article_authors SET published_at = a.published_at FROM articles a WHERE a.id = article_authors.article_id;
UPDATE article_tags SET published_at = a.published_at FROM articles a WHERE a.id = article_tags.article_id;

DROP INDEX articles_published;
DROP INDEX articles_section_published;
CREATE INDEX articles_published ON articles (published_at DESC, id DESC);
CREATE INDEX articles_section_published ON articles (section_id, published_at DESC, id DESC);

ALTER TABLE articles DROP COLUMN corrected_at;
ALTER TABLE articles DROP COLUMN correction;
ALTER TABLE articles DROP COLUMN unpublished_at;
