-- Takedowns and corrections. A story taken down keeps its row, its
-- comments and its log lines (for the record); `unpublished_at` says when
-- it left every page. A correction is the text from the front matter and
-- the moment the import first saw that text.
ALTER TABLE articles ADD COLUMN unpublished_at TIMESTAMP;
ALTER TABLE articles ADD COLUMN correction TEXT;
ALTER TABLE articles ADD COLUMN corrected_at TIMESTAMP;

-- The listings read stories newest first from these indexes (the home
-- page, sections, feeds, sitemaps, the newest per section). Partial, over
-- the stories not taken down, they still give each list as one range read
-- and keep the pagers' counts on the index alone; the `shown` condition
-- (`unpublished_at IS NULL`) lets both databases use them. The column
-- itself (always NULL here) ends each index so SQLite counts from the
-- index alone, as before. Only the admin list, which shows every story,
-- sorts instead.
DROP INDEX articles_published;
DROP INDEX articles_section_published;
CREATE INDEX articles_published ON articles (published_at DESC, id DESC, unpublished_at)
    WHERE unpublished_at IS NULL;
CREATE INDEX articles_section_published ON articles (section_id, published_at DESC, id DESC, unpublished_at)
    WHERE unpublished_at IS NULL;

-- An author's or a topic's page reads its stories from the copies of the
-- publication time beside each byline and tag (000010 listing_dates). A
-- story taken down has no copy there (NULL), so those index ranges
-- (`published_at <= now`) pass over it with no extra condition, and
-- republishing puts the time back.
DROP TRIGGER article_authors_dated;
DROP TRIGGER article_tags_dated;
DROP TRIGGER articles_listing_dates;

CREATE TRIGGER article_authors_dated AFTER INSERT ON article_authors BEGIN
    UPDATE article_authors SET published_at = (
        SELECT CASE WHEN a.unpublished_at IS NULL THEN a.published_at END FROM articles a WHERE a.id = new.article_id)
    WHERE article_id = new.article_id AND author_id = new.author_id;
END;

CREATE TRIGGER article_tags_dated AFTER INSERT ON article_tags BEGIN
    UPDATE article_tags SET published_at = (
        SELECT CASE WHEN a.unpublished_at IS NULL THEN a.published_at END FROM articles a WHERE a.id = new.article_id)
    WHERE article_id = new.article_id AND tag_id = new.tag_id;
END;

CREATE TRIGGER articles_listing_dates AFTER UPDATE OF published_at, unpublished_at ON articles BEGIN
    UPDATE article_authors SET published_at = CASE WHEN new.unpublished_at IS NULL THEN new.published_at END
    WHERE article_id = new.id;
    UPDATE article_tags SET published_at = CASE WHEN new.unpublished_at IS NULL THEN new.published_at END
    WHERE article_id = new.id;
END;
