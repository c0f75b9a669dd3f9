DROP TRIGGER comments_unseen ON comments;
DROP FUNCTION comments_unseen();
DROP FUNCTION count_unseen_reply(comments, INTEGER);
ALTER TABLE users DROP COLUMN unseen_replies;
