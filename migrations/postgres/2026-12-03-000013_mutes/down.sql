CREATE OR REPLACE FUNCTION count_unseen_reply(reply comments, delta INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF reply.parent_id IS NULL OR reply.status <> 'published' OR reply.deleted_at IS NOT NULL THEN
        RETURN;
    END IF;
    UPDATE users SET unseen_replies = GREATEST(unseen_replies + delta, 0)
    WHERE id = COALESCE(reply.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = reply.parent_id))
      AND id <> reply.user_id
      AND reply.created_at > COALESCE(replies_seen_at, created_at);
END $$;
DROP TRIGGER mutes_count ON mutes;
DROP FUNCTION mutes_count();
ALTER TABLE users DROP COLUMN muted_count;
DROP TABLE mutes;
