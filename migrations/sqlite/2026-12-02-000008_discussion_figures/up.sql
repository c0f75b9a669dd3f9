-- Discussion figures kept by triggers, inside the transaction that changes a
-- comment, whatever code path changes it: pages read one row instead of
-- counting a discussion that may hold 100,000 comments.

CREATE TABLE discussions (
    article_id INTEGER PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
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
UPDATE comments SET thread_no = (SELECT root.thread_no FROM comments AS root WHERE root.id = comments.root_id)
WHERE parent_id IS NOT NULL;
UPDATE discussions SET
    comments = (SELECT COUNT(*) FROM comments c WHERE c.article_id = discussions.article_id
                AND c.status = 'published' AND c.deleted_at IS NULL),
    threads = (SELECT COALESCE(MAX(c.thread_no), 0) FROM comments c WHERE c.article_id = discussions.article_id),
    featured = (SELECT COUNT(*) FROM comments c WHERE c.article_id = discussions.article_id
                AND c.status = 'published' AND c.deleted_at IS NULL AND c.featured_at IS NOT NULL);
INSERT INTO comment_days (article_id, day, comments)
SELECT article_id, CAST(julianday(created_at) - 2440587.5 AS INTEGER) AS day, COUNT(*)
FROM comments WHERE status = 'published' AND deleted_at IS NULL
GROUP BY article_id, day;

CREATE INDEX comments_thread ON comments (article_id, thread_no);
-- Threads are found by number now; the comments feed wants the newest.
DROP INDEX comments_article_top;
CREATE INDEX comments_article_created ON comments (article_id, created_at);

CREATE TRIGGER articles_discussion AFTER INSERT ON articles BEGIN
    INSERT INTO discussions (article_id) VALUES (new.id);
END;

CREATE TRIGGER articles_version AFTER UPDATE ON articles BEGIN
    UPDATE discussions SET version = version + 1 WHERE article_id = new.id;
END;

CREATE TRIGGER comments_figures_insert AFTER INSERT ON comments BEGIN
    UPDATE discussions SET
        comments = comments + (new.status = 'published' AND new.deleted_at IS NULL),
        featured = featured + (new.status = 'published' AND new.deleted_at IS NULL AND new.featured_at IS NOT NULL),
        threads = threads + (new.parent_id IS NULL AND new.status <> 'held'),
        version = version + 1
    WHERE article_id = new.article_id;
    UPDATE comments SET thread_no = CASE
            WHEN new.parent_id IS NULL THEN (SELECT threads FROM discussions WHERE article_id = new.article_id)
            ELSE (SELECT root.thread_no FROM comments AS root WHERE root.id = new.root_id)
        END
    WHERE id = new.id AND (new.parent_id IS NOT NULL OR new.status <> 'held');
    INSERT INTO comment_days (article_id, day, comments)
    SELECT new.article_id, CAST(julianday(new.created_at) - 2440587.5 AS INTEGER), 1
    WHERE new.status = 'published' AND new.deleted_at IS NULL
    ON CONFLICT (article_id, day) DO UPDATE SET comments = comments + 1;
END;

-- Every column a reader can see change, but not thread_no (set by these
-- triggers themselves).
CREATE TRIGGER comments_figures_update AFTER UPDATE OF
    article_id, user_id, parent_id, root_id, depth, reply_to_user_id, body, status, created_at, edited_at,
    deleted_at, moderation_reason, moderated_by, moderated_at, featured_at
ON comments BEGIN
    UPDATE discussions SET
        comments = comments - (old.status = 'published' AND old.deleted_at IS NULL),
        featured = featured - (old.status = 'published' AND old.deleted_at IS NULL AND old.featured_at IS NOT NULL),
        version = version + 1
    WHERE article_id = old.article_id;
    UPDATE discussions SET
        comments = comments + (new.status = 'published' AND new.deleted_at IS NULL),
        featured = featured + (new.status = 'published' AND new.deleted_at IS NULL AND new.featured_at IS NOT NULL),
        threads = threads + (new.parent_id IS NULL AND new.thread_no IS NULL AND new.status <> 'held')
    WHERE article_id = new.article_id;
    -- A held thread that becomes public takes the next number.
    UPDATE comments SET thread_no = (SELECT threads FROM discussions WHERE article_id = new.article_id)
    WHERE id = new.id AND new.parent_id IS NULL AND new.thread_no IS NULL AND new.status <> 'held';
    UPDATE comment_days SET comments = comments - 1
    WHERE old.status = 'published' AND old.deleted_at IS NULL
      AND article_id = old.article_id AND day = CAST(julianday(old.created_at) - 2440587.5 AS INTEGER);
    INSERT INTO comment_days (article_id, day, comments)
    SELECT new.article_id, CAST(julianday(new.created_at) - 2440587.5 AS INTEGER), 1
    WHERE new.status = 'published' AND new.deleted_at IS NULL
    ON CONFLICT (article_id, day) DO UPDATE SET comments = comments + 1;
END;

CREATE TRIGGER comments_figures_delete AFTER DELETE ON comments BEGIN
    UPDATE discussions SET
        comments = comments - (old.status = 'published' AND old.deleted_at IS NULL),
        featured = featured - (old.status = 'published' AND old.deleted_at IS NULL AND old.featured_at IS NOT NULL),
        version = version + 1
    WHERE article_id = old.article_id;
    UPDATE comment_days SET comments = comments - 1
    WHERE old.status = 'published' AND old.deleted_at IS NULL
      AND article_id = old.article_id AND day = CAST(julianday(old.created_at) - 2440587.5 AS INTEGER);
END;
