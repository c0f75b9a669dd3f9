ALTER TABLE comments DROP COLUMN respect_count;
DROP TABLE comment_respects;
