-- Each account's general preferences (Gerrit's GeneralPreferencesInfo) as
-- the JSON object of the fields it set; absent fields take the defaults.
-- Keep in step with ../postgresql/0008_preferences.sql.

CREATE TABLE account_preferences (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	general    TEXT NOT NULL
);
