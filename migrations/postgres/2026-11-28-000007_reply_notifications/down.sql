DROP INDEX comments_reply_to;
DROP INDEX comments_parent;
ALTER TABLE users DROP COLUMN replies_seen_at;
