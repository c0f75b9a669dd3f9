DROP INDEX comments_questions;
DROP INDEX comments_answered;
ALTER TABLE comments DROP COLUMN answered_at;
ALTER TABLE comments DROP COLUMN answer_id;
ALTER TABLE comments DROP COLUMN is_question;
ALTER TABLE articles DROP COLUMN comment_prompt;
ALTER TABLE articles DROP COLUMN comment_mode;
