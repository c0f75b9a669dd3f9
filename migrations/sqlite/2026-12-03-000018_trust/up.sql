-- Trust: a reader whose comments moderators keep removing goes back to
-- pre-moderation (every comment held) until a moderator ends it. Set by the
-- removal that crosses the line (models/trust.rs), in its transaction.
ALTER TABLE users ADD COLUMN premoderated_at TIMESTAMP;
-- Why, in the moderators' words or the rule's ("3 comments removed within 30 days").
ALTER TABLE users ADD COLUMN premoderation_reason TEXT NOT NULL DEFAULT '';
