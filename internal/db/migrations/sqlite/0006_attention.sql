-- The attention set of each change: who is expected to act on it next.
-- A row per account that has ever been in the set; in_set tells whether it
-- still is, and reason (with the account that caused it, if any) why it
-- was last added or removed.
-- Keep in step with ../postgresql/0006_attention.sql.

CREATE TABLE attention_set (
	change_id         BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	account_id        BIGINT NOT NULL REFERENCES accounts (id),
	in_set            BOOLEAN NOT NULL,
	reason            TEXT NOT NULL,
	reason_account_id BIGINT REFERENCES accounts (id),
	updated_on        BIGINT NOT NULL,
	PRIMARY KEY (change_id, account_id)
);
CREATE INDEX attention_set_account ON attention_set (account_id, in_set);
