-- Per-story controls: how a story takes comments (open to all, every
-- comment held for a moderator, or questions to the newsroom), and a
-- prompt shown above its comment form.
ALTER TABLE articles ADD COLUMN comment_mode TEXT NOT NULL DEFAULT 'open';
ALTER TABLE articles ADD COLUMN comment_prompt TEXT NOT NULL DEFAULT '';
-- Q&A: a reader's question waits in the Questions queue; the staff reply
-- that answers it publishes it, and the pair shows above the discussion.
ALTER TABLE comments ADD COLUMN is_question BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE comments ADD COLUMN answer_id INTEGER REFERENCES comments (id) ON DELETE SET NULL;
ALTER TABLE comments ADD COLUMN answered_at TIMESTAMP;
CREATE INDEX comments_answered ON comments (article_id, answered_at) WHERE answered_at IS NOT NULL;
CREATE INDEX comments_questions ON comments (created_at) WHERE is_question AND answered_at IS NULL;
