-- "Most respected": a discussion's threads by their first comment's count,
-- one index range for any page.
CREATE INDEX comments_threads_by_respect ON comments (article_id, respect_count, thread_no)
    WHERE parent_id IS NULL AND thread_no IS NOT NULL;
-- Reader picks: the most respected comments of a discussion.
CREATE INDEX comments_by_respect ON comments (article_id, respect_count);
