ALTER TABLE users DROP COLUMN premoderation_reason;
ALTER TABLE users DROP COLUMN premoderated_at;
