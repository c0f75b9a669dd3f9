-- Mute: a reader stops seeing another reader's comments (each shows as a
-- one-line note that can be opened) and stops being told of their replies.
CREATE TABLE mutes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    muted_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, muted_id)
);
-- Whoever muted a reader (their erasure takes those rows too).
CREATE INDEX mutes_by_muted ON mutes (muted_id);

-- How many readers someone muted, so pages for the many who muted nobody
-- never look the list up. Kept by the triggers below.
ALTER TABLE users ADD COLUMN muted_count INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER mutes_count_insert AFTER INSERT ON mutes
BEGIN
    UPDATE users SET muted_count = muted_count + 1 WHERE id = new.user_id;
END;

CREATE TRIGGER mutes_count_delete AFTER DELETE ON mutes
BEGIN
    UPDATE users SET muted_count = muted_count - 1 WHERE id = old.user_id AND muted_count > 0;
END;

-- The count of new replies leaves out replies from readers one muted. The
-- mute and unmute themselves set the count again (models/mute.rs), so
-- these only keep it while nobody's mutes change.
DROP TRIGGER comments_unseen_insert;
DROP TRIGGER comments_unseen_update;
DROP TRIGGER comments_unseen_delete;

CREATE TRIGGER comments_unseen_insert AFTER INSERT ON comments
WHEN new.parent_id IS NOT NULL AND new.status = 'published' AND new.deleted_at IS NULL
BEGIN
    UPDATE users SET unseen_replies = unseen_replies + 1
    WHERE id = COALESCE(new.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = new.parent_id))
      AND id <> new.user_id
      AND new.created_at > COALESCE(replies_seen_at, created_at)
      AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = users.id AND m.muted_id = new.user_id);
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
      AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = users.id AND m.muted_id = old.user_id)
      AND unseen_replies > 0;
    UPDATE users SET unseen_replies = unseen_replies + 1
    WHERE new.parent_id IS NOT NULL AND new.status = 'published' AND new.deleted_at IS NULL
      AND id = COALESCE(new.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = new.parent_id))
      AND id <> new.user_id
      AND new.created_at > COALESCE(replies_seen_at, created_at)
      AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = users.id AND m.muted_id = new.user_id);
END;

CREATE TRIGGER comments_unseen_delete AFTER DELETE ON comments
WHEN old.parent_id IS NOT NULL AND old.status = 'published' AND old.deleted_at IS NULL
BEGIN
    UPDATE users SET unseen_replies = unseen_replies - 1
    WHERE id = COALESCE(old.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = old.parent_id))
      AND id <> old.user_id
      AND old.created_at > COALESCE(replies_seen_at, created_at)
      AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = users.id AND m.muted_id = old.user_id)
      AND unseen_replies > 0;
END;
