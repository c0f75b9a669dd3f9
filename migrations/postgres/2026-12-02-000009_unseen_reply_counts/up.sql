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

-- Adds `delta` to the count of whoever `reply` answers, if it counts for them.
CREATE FUNCTION count_unseen_reply(reply comments, delta INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF reply.parent_id IS NULL OR reply.status <> 'published' OR reply.deleted_at IS NOT NULL THEN
        RETURN;
    END IF;
    UPDATE users SET unseen_replies = GREATEST(unseen_replies + delta, 0)
    WHERE id = COALESCE(reply.reply_to_user_id, (SELECT p.user_id FROM comments p WHERE p.id = reply.parent_id))
      AND id <> reply.user_id
      AND reply.created_at > COALESCE(replies_seen_at, created_at);
END $$;

CREATE FUNCTION comments_unseen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM count_unseen_reply(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM count_unseen_reply(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_unseen AFTER INSERT OR DELETE OR UPDATE OF
    status, deleted_at, created_at, parent_id, reply_to_user_id, user_id
ON comments FOR EACH ROW EXECUTE FUNCTION comments_unseen();
