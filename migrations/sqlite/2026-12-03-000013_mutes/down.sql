DROP TRIGGER comments_unseen_insert;
DROP TRIGGER comments_unseen_update;
DROP TRIGGER comments_unseen_delete;

CREATE TRIGGER comments_unseen_insert AFTER INSERT ON comments
WHEN new.parent_id IS NOT NULL AND new.status = 'published' AND new.deleted_at IS NULL
BEGIN
    UPDATE users SET unseen_replies = unseen_replies + 1
    WHERE id = COALESCE(new.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = new.parent_id))
      AND id <> new.user_id
      AND new.created_at > COALESCE(replies_seen_at, created_at);
END;

CREATE TRIGGER comments_unseen_update AFTER UPDATE OF
    status, deleted_at, created_at, parent_id, reply_to_user_id, user_id
ON comments
WHEN old.parent_id IS NOT NULL OR new.parent_id IS NOT NULL
BEGIN
    UPDATE users SET unseen_replies = unseen_replies - 1
    WHERE old.parent_id IS NOT NULL AND old.status = 'published' AND old.deleted_at IS NULL
      AND id = COALESCE(old.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = old.parent_id))
      AND id <> old.user_id
      AND old.created_at > COALESCE(replies_seen_at, created_at)
      AND unseen_replies > 0;
    UPDATE users SET unseen_replies = unseen_replies + 1
    WHERE new.parent_id IS NOT NULL AND new.status = 'published' AND new.deleted_at IS NULL
      AND id = COALESCE(new.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = new.parent_id))
      AND id <> new.user_id
      AND new.created_at > COALESCE(replies_seen_at, created_at);
END;

CREATE TRIGGER comments_unseen_delete AFTER DELETE ON comments
WHEN old.parent_id IS NOT NULL AND old.status = 'published' AND old.deleted_at IS NULL
BEGIN
    UPDATE users SET unseen_replies = unseen_replies - 1
    WHERE id = COALESCE(old.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = old.parent_id))
      AND id <> old.user_id
      AND old.created_at > COALESCE(replies_seen_at, created_at)
      AND unseen_replies > 0;
END;

DROP TRIGGER mutes_count_delete;
DROP TRIGGER mutes_count_insert;
ALTER TABLE users DROP COLUMN muted_count;
DROP TABLE mutes;
