-- The audit log of each group: who added or removed which member or
-- included group. Rows are only ever added, in the transaction of the
-- change they record; ids come from group_audit_ids, so they order the
-- log the same on every master.
-- Keep in step with ../postgresql/0009_group_audit.sql.

CREATE TABLE group_audit (
	id           BIGINT PRIMARY KEY,           -- from group_audit_ids
	group_id     BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	type         TEXT NOT NULL,                -- ADD_USER, REMOVE_USER, ADD_GROUP, REMOVE_GROUP
	account_id   BIGINT REFERENCES accounts (id), -- the member, for *_USER
	include_uuid TEXT,                         -- the included group, for *_GROUP
	by_account   BIGINT NOT NULL REFERENCES accounts (id),
	created_on   BIGINT NOT NULL
);
CREATE INDEX group_audit_group ON group_audit (group_id, id);

INSERT INTO sequences (name, next) VALUES ('group_audit_ids', 1);
