-- An author's or a topic's page lists the newest stories first. With the
-- publication time beside each byline and tag, and indexed, a page is an
-- index range read however many stories the author or topic has, instead
-- of sorting all of them. Triggers keep the copies equal to the article's.
ALTER TABLE article_authors ADD COLUMN published_at TIMESTAMP;
ALTER TABLE article_tags ADD COLUMN published_at TIMESTAMP;
UPDATE article_authors SET published_at = a.published_at FROM articles a WHERE a.id = article_authors.article_id;
UPDATE article_tags SET published_at = a.published_at FROM articles a WHERE a.id = article_tags.article_id;
CREATE INDEX article_authors_listing ON article_authors (author_id, published_at, article_id);
CREATE INDEX article_tags_listing ON article_tags (tag_id, published_at, article_id);
DROP INDEX article_authors_author;
DROP INDEX article_tags_tag;

CREATE FUNCTION listing_dated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT a.published_at INTO NEW.published_at FROM articles a WHERE a.id = NEW.article_id;
    RETURN NEW;
END $$;
CREATE TRIGGER article_authors_dated BEFORE INSERT OR UPDATE OF article_id ON article_authors
FOR EACH ROW EXECUTE FUNCTION listing_dated();
CREATE TRIGGER article_tags_dated BEFORE INSERT OR UPDATE OF article_id ON article_tags
FOR EACH ROW EXECUTE FUNCTION listing_dated();

CREATE FUNCTION articles_listing_dates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE article_authors SET published_at = NEW.published_at WHERE article_id = NEW.id;
    UPDATE article_tags SET published_at = NEW.published_at WHERE article_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER articles_listing_dates AFTER UPDATE OF published_at ON articles
FOR EACH ROW EXECUTE FUNCTION articles_listing_dates();
