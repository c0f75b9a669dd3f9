-- Readers see how many replies their comments got since they last looked.
ALTER TABLE users ADD COLUMN replies_seen_at TIMESTAMP;
-- Finding the replies to someone's comments: by parent, and by the person a
-- reply deeper than the third level answers.
CREATE INDEX comments_parent ON comments (parent_id);
CREATE INDEX comments_reply_to ON comments (reply_to_user_id);
