DROP INDEX comments_by_respect;
DROP INDEX comments_threads_by_respect;
