-- A reader may delete their account. The row stays, emptied, so the
-- username cannot be taken by someone else and old replies that name it
-- ("replying to @name") still point at the same person.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
