-- Accounts, groups, projects, secrets and id sequences.
-- Timestamps are unix microseconds. Keep in step with ../sqlite/0001_init.sql.

CREATE TABLE accounts (
	id                 BIGINT PRIMARY KEY,
	username           TEXT UNIQUE,
	full_name          TEXT NOT NULL DEFAULT '',
	preferred_email    TEXT,
	inactive           BOOLEAN NOT NULL DEFAULT FALSE,
	http_password_hash TEXT NOT NULL DEFAULT '',
	created_on         BIGINT NOT NULL
);

CREATE TABLE account_emails (
	email      TEXT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX account_emails_account_id ON account_emails (account_id);

CREATE TABLE account_ssh_keys (
	account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	public_key  TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	PRIMARY KEY (account_id, seq)
);
CREATE INDEX account_ssh_keys_fingerprint ON account_ssh_keys (fingerprint);

CREATE TABLE groups (
	id             BIGINT PRIMARY KEY,
	uuid           TEXT NOT NULL UNIQUE,
	name           TEXT NOT NULL UNIQUE,
	description    TEXT NOT NULL DEFAULT '',
	owner_uuid     TEXT NOT NULL,
	visible_to_all BOOLEAN NOT NULL DEFAULT FALSE,
	created_on     BIGINT NOT NULL
);

CREATE TABLE group_members (
	group_id   BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_members_account_id ON group_members (account_id);

CREATE TABLE group_includes (
	group_id     BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	include_uuid TEXT NOT NULL,
	PRIMARY KEY (group_id, include_uuid)
);

CREATE TABLE projects (
	name       TEXT PRIMARY KEY,
	created_on BIGINT NOT NULL
);

CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Read through NextID: nextval is outside transactions, so concurrent
-- allocators never wait on each other.
CREATE SEQUENCE account_ids START WITH 1000000;
CREATE SEQUENCE group_ids START WITH 1;
