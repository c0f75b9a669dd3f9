-- Respect: a reader marks a comment they think adds to the discussion,
-- once each, and may take it back.
CREATE TABLE comment_respects (
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The comment's article, so a reader's respects on one article page
    -- (and who has any there) are one index range.
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_respects_on_article ON comment_respects (article_id, user_id);
-- A reader's own respects: their export, their erasure.
CREATE INDEX comment_respects_by_user ON comment_respects (user_id);
-- Kept by the write that adds or removes a row above, never counted per view.
ALTER TABLE comments ADD COLUMN respect_count INTEGER NOT NULL DEFAULT 0;
