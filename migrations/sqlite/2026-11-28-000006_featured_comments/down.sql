DROP INDEX comments_featured;
ALTER TABLE comments DROP COLUMN featured_at;
