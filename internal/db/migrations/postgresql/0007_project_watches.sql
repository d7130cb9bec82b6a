-- The projects each account watches, each with an optional query that
-- narrows which of the project's changes it cares about (Gerrit's
-- ProjectWatchInfo), and the kinds of event it wants to hear of.
-- Keep in step with ../sqlite/0007_project_watches.sql.

CREATE TABLE project_watches (
	account_id         BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	project            TEXT NOT NULL,
	filter             TEXT NOT NULL DEFAULT '',
	new_changes        BOOLEAN NOT NULL DEFAULT FALSE,
	new_patch_sets     BOOLEAN NOT NULL DEFAULT FALSE,
	all_comments       BOOLEAN NOT NULL DEFAULT FALSE,
	submitted_changes  BOOLEAN NOT NULL DEFAULT FALSE,
	abandoned_changes  BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (account_id, project, filter)
);
