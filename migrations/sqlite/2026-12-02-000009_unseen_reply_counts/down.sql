DROP TRIGGER comments_unseen_delete;
DROP TRIGGER comments_unseen_update;
DROP TRIGGER comments_unseen_insert;
ALTER TABLE users DROP COLUMN unseen_replies;
