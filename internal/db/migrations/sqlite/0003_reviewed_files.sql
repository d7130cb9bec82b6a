-- Per-account "reviewed" flags on the files of a patch set: the check
-- marks of Gerrit's PUT/DELETE …/files/{file}/reviewed and the list of
-- GET …/files/?reviewed. Private to the account that set them. No
-- timestamp: nothing orders or expires flags, and Gerrit keeps none.
-- Keep in step with ../postgresql/0003_reviewed_files.sql.

CREATE TABLE reviewed_files (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	change_id  BIGINT NOT NULL,
	ps         INTEGER NOT NULL,
	path       TEXT NOT NULL,                    -- as in patch_set_files, or /COMMIT_MSG, /MERGE_LIST
	PRIMARY KEY (account_id, change_id, ps, path),
	FOREIGN KEY (change_id, ps) REFERENCES patch_sets (change_id, ps) ON DELETE CASCADE
);
-- For the cascade from patch_sets; reads go by account first.
CREATE INDEX reviewed_files_patch_set ON reviewed_files (change_id, ps);
