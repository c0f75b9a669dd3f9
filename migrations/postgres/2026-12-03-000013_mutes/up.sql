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
-- never look the list up. Kept by the trigger below.
ALTER TABLE users ADD COLUMN muted_count INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION mutes_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE users SET muted_count = muted_count + 1 WHERE id = NEW.user_id;
    ELSE
        UPDATE users SET muted_count = GREATEST(muted_count - 1, 0) WHERE id = OLD.user_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER mutes_count AFTER INSERT OR DELETE ON mutes
FOR EACH ROW EXECUTE FUNCTION mutes_count();

-- The count of new replies leaves out replies from readers one muted. The
-- mute and unmute themselves set the count again (models/mute.rs), so
-- this only keeps it while nobody's mutes change.
CREATE OR REPLACE FUNCTION count_unseen_reply(reply comments, delta INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF reply.parent_id IS NULL OR reply.status <> 'published' OR reply.deleted_at IS NOT NULL THEN
        RETURN;
    END IF;
    UPDATE users SET unseen_replies = GREATEST(unseen_replies + delta, 0)
    WHERE id = COALESCE(reply.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = reply.parent_id))
      AND id <> reply.user_id
      AND reply.created_at > COALESCE(replies_seen_at, created_at)
      AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = users.id AND m.muted_id = reply.user_id);
END $$;
