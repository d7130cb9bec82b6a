-- The account that really posted a review on behalf of another one
-- (ReviewInput.on_behalf_of): Gerrit's real_author of a change message.
-- NULL when the author posted it.
-- Keep in step with ../sqlite/0004_real_author.sql.

ALTER TABLE change_messages ADD COLUMN real_author_id BIGINT REFERENCES accounts (id);
