DROP INDEX articles_search;
ALTER TABLE articles DROP COLUMN search;
ALTER TABLE articles DROP COLUMN body_text;
ALTER TABLE authors DROP COLUMN is_organization;
