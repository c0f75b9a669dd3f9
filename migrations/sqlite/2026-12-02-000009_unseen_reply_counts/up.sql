-- The header's count of new replies, kept by triggers instead of counted
-- on every page a logged-in reader opens. A reply counts for the person it
-- answers (the author of the comment it sits under, or whom it names deeper
-- than the third level) when it is published, not deleted, not their own,
-- and posted after they last marked their replies as read.
ALTER TABLE users ADD COLUMN unseen_replies INTEGER NOT NULL DEFAULT 0;

-- One pass over the replies, not one per reader.
UPDATE users SET unseen_replies = counted.n
FROM (
    SELECT u.id AS target, COUNT(*) AS n
    FROM comments c
    JOIN comments p ON p.id = c.parent_id
    JOIN users u ON u.id = COALESCE(c.reply_to_user_id, p.user_id)
    WHERE c.user_id <> u.id
      AND c.status = 'published' AND c.deleted_at IS NULL
      AND c.created_at > COALESCE(u.replies_seen_at, u.created_at)
    GROUP BY u.id
) AS counted
WHERE users.id = counted.target;

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
