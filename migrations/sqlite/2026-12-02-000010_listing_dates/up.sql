-- An author's or a topic's page lists the newest stories first. With the
-- publication time beside each byline and tag, and indexed, a page is an
-- index range read however many stories the author or topic has, instead
-- of sorting all of them. Triggers keep the copies equal to the article's.
ALTER TABLE article_authors ADD COLUMN published_at TIMESTAMP;
ALTER TABLE article_tags ADD COLUMN published_at TIMESTAMP;
UPDATE article_authors SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_authors.article_id);
UPDATE article_tags SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_tags.article_id);
CREATE INDEX article_authors_listing ON article_authors (author_id, published_at, article_id);
CREATE INDEX article_tags_listing ON article_tags (tag_id, published_at, article_id);
DROP INDEX article_authors_author;
DROP INDEX article_tags_tag;

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
