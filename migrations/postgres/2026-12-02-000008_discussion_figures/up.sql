-- Discussion figures kept by triggers, inside the transaction that changes a
-- comment, whatever code path changes it: pages read one row instead of
-- counting a discussion that may hold 100,000 comments.

CREATE TABLE discussions (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    -- Comments readers count: published and not deleted.
    comments   INTEGER NOT NULL DEFAULT 0,
    -- Threads numbered so far: the highest thread_no given out.
    threads    INTEGER NOT NULL DEFAULT 0,
    -- Editors' picks showing: featured, published and not deleted.
    featured   INTEGER NOT NULL DEFAULT 0,
    -- Bumped by every change to the story or to one of its comments.
    version    BIGINT NOT NULL DEFAULT 0
);

-- The thread a comment belongs to, numbered from 1 in the order threads
-- became public (posted, or approved after a hold); replies carry their
-- thread's number. NULL while a top-level comment waits for review. A page
-- of the discussion is a range of these numbers, however long it grows.
ALTER TABLE comments ADD COLUMN thread_no INTEGER;

-- Comments readers count, per story and day (days since 1970-01-01, UTC):
-- what "Most discussed" adds up over a week.
CREATE TABLE comment_days (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    comments   INTEGER NOT NULL,
    PRIMARY KEY (article_id, day)
);
CREATE INDEX comment_days_day ON comment_days (day, article_id, comments);

-- The figures for what is already there.
INSERT INTO discussions (article_id) SELECT id FROM articles;
UPDATE comments SET thread_no = numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY created_at, id) AS n
      FROM comments WHERE parent_id IS NULL AND status <> 'held') AS numbered
WHERE comments.id = numbered.id;
UPDATE comments SET thread_no = root.thread_no FROM comments AS root
WHERE comments.parent_id IS NOT NULL AND root.id = comments.root_id;
UPDATE discussions SET
    comments = (SELECT COUNT(*) FROM comments c WHERE c.article_id = discussions.article_id
                AND c.status = 'published' AND c.deleted_at IS NULL),
    threads = (SELECT COALESCE(MAX(c.thread_no), 0) FROM comments c WHERE c.article_id = discussions.article_id),
    featured = (SELECT COUNT(*) FROM comments c WHERE c.article_id = discussions.article_id
                AND c.status = 'published' AND c.deleted_at IS NULL AND c.featured_at IS NOT NULL);
INSERT INTO comment_days (article_id, day, comments)
SELECT article_id, (created_at::date - DATE '1970-01-01') AS day, COUNT(*)
FROM comments WHERE status = 'published' AND deleted_at IS NULL
GROUP BY article_id, day;

CREATE INDEX comments_thread ON comments (article_id, thread_no);
-- Threads are found by number now; the comments feed wants the newest.
DROP INDEX comments_article_top;
CREATE INDEX comments_article_created ON comments (article_id, created_at);

CREATE FUNCTION articles_discussion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO discussions (article_id) VALUES (NEW.id);
    ELSE
        UPDATE discussions SET version = version + 1 WHERE article_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER articles_discussion AFTER INSERT OR UPDATE ON articles
FOR EACH ROW EXECUTE FUNCTION articles_discussion();

-- Numbers a thread when it becomes public; a reply takes its thread's number.
CREATE FUNCTION comments_thread_no() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL THEN
        IF TG_OP = 'INSERT' THEN
            SELECT root.thread_no INTO NEW.thread_no FROM comments AS root WHERE root.id = NEW.root_id;
        END IF;
    ELSIF NEW.thread_no IS NULL AND NEW.status <> 'held' THEN
        UPDATE discussions SET threads = threads + 1 WHERE article_id = NEW.article_id
        RETURNING threads INTO NEW.thread_no;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER comments_thread_no BEFORE INSERT OR UPDATE OF status ON comments
FOR EACH ROW EXECUTE FUNCTION comments_thread_no();

CREATE FUNCTION comments_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE discussions SET
            comments = comments - (OLD.status = 'published' AND OLD.deleted_at IS NULL)::int,
            featured = featured
                - (OLD.status = 'published' AND OLD.deleted_at IS NULL AND OLD.featured_at IS NOT NULL)::int,
            version = version + 1
        WHERE article_id = OLD.article_id;
        IF OLD.status = 'published' AND OLD.deleted_at IS NULL THEN
            UPDATE comment_days SET comments = comments - 1
            WHERE article_id = OLD.article_id AND day = (OLD.created_at::date - DATE '1970-01-01');
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE discussions SET
            comments = comments + (NEW.status = 'published' AND NEW.deleted_at IS NULL)::int,
            featured = featured
                + (NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.featured_at IS NOT NULL)::int,
            version = version + 1
        WHERE article_id = NEW.article_id;
        IF NEW.status = 'published' AND NEW.deleted_at IS NULL THEN
            INSERT INTO comment_days (article_id, day, comments)
            VALUES (NEW.article_id, NEW.created_at::date - DATE '1970-01-01', 1)
            ON CONFLICT (article_id, day) DO UPDATE SET comments = comment_days.comments + 1;
        END IF;
    END IF;
    RETURN NULL;
END $$;
-- Every column a reader can see change, but not thread_no.
CREATE TRIGGER comments_figures AFTER INSERT OR DELETE OR UPDATE OF
    article_id, user_id, parent_id, root_id, depth, reply_to_user_id, body, status, created_at, edited_at,
    deleted_at, moderation_reason, moderated_by, moderated_at, featured_at
ON comments FOR EACH ROW EXECUTE FUNCTION comments_figures();
