-- Editors' picks: a moderator features a comment, and the article shows it
-- above the discussion. NULL when not featured.
ALTER TABLE comments ADD COLUMN featured_at TIMESTAMP;
CREATE INDEX comments_featured ON comments (article_id, featured_at);
