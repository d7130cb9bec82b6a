-- Each patch set file's modes and blob ids on both sides (Gerrit's
-- FileInfo old_mode, new_mode, old_sha, new_sha). Rows stored before this
-- migration keep 0 and '', which the API leaves out.
-- Keep in step with ../sqlite/0010_file_modes.sql.

ALTER TABLE patch_set_files ADD COLUMN old_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patch_set_files ADD COLUMN new_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patch_set_files ADD COLUMN old_sha TEXT NOT NULL DEFAULT '';
ALTER TABLE patch_set_files ADD COLUMN new_sha TEXT NOT NULL DEFAULT '';
