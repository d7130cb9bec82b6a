-- Code review: changes, patch sets, votes, comments, messages, the event
-- log and submit intents. Timestamps are unix microseconds.

CREATE TABLE changes (
	id            BIGINT PRIMARY KEY,          -- the change number, from change_ids
	project       TEXT NOT NULL,
	branch        TEXT NOT NULL,               -- full ref name, refs/heads/...
	change_key    TEXT NOT NULL,               -- I + 40 hex
	owner_id      BIGINT NOT NULL REFERENCES accounts (id),
	status        TEXT NOT NULL,               -- NEW, MERGED, ABANDONED
	subject       TEXT NOT NULL,
	topic         TEXT NOT NULL DEFAULT '',
	current_ps    INTEGER NOT NULL,
	wip           BOOLEAN NOT NULL DEFAULT FALSE,
	private       BOOLEAN NOT NULL DEFAULT FALSE,
	reviewed      BOOLEAN NOT NULL DEFAULT FALSE, -- has_review_started
	created_on    BIGINT NOT NULL,
	updated_on    BIGINT NOT NULL,
	submitted_on  BIGINT,
	submitter_id  BIGINT REFERENCES accounts (id),
	submission_id TEXT,
	version       BIGINT NOT NULL DEFAULT 1    -- bumped by every update
);
-- One open change per (project, branch, Change-Id).
CREATE UNIQUE INDEX changes_open_key ON changes (project, branch, change_key) WHERE status = 'NEW';
CREATE INDEX changes_key ON changes (change_key);
CREATE INDEX changes_project_status ON changes (project, status, updated_on DESC, id DESC);
CREATE INDEX changes_status ON changes (status, updated_on DESC, id DESC);
CREATE INDEX changes_owner ON changes (owner_id, status, updated_on DESC);
CREATE INDEX changes_updated ON changes (updated_on DESC, id DESC);
CREATE INDEX changes_topic ON changes (topic);

CREATE TABLE patch_sets (
	change_id       BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	ps              INTEGER NOT NULL,
	commit_sha      TEXT NOT NULL,
	parents         TEXT NOT NULL DEFAULT '',  -- space-separated commit ids
	uploader_id     BIGINT NOT NULL REFERENCES accounts (id),
	created_on      BIGINT NOT NULL,
	kind            TEXT NOT NULL DEFAULT 'REWORK',
	description     TEXT NOT NULL DEFAULT '',
	author_name     TEXT NOT NULL DEFAULT '',
	author_email    TEXT NOT NULL DEFAULT '',
	author_when     BIGINT NOT NULL DEFAULT 0,
	author_tz       INTEGER NOT NULL DEFAULT 0, -- minutes east of UTC
	committer_name  TEXT NOT NULL DEFAULT '',
	committer_email TEXT NOT NULL DEFAULT '',
	committer_when  BIGINT NOT NULL DEFAULT 0,
	committer_tz    INTEGER NOT NULL DEFAULT 0,
	message         TEXT NOT NULL DEFAULT '',
	insertions      INTEGER NOT NULL DEFAULT 0,
	deletions       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (change_id, ps)
);
CREATE INDEX patch_sets_commit ON patch_sets (commit_sha);

CREATE TABLE patch_set_files (
	change_id  BIGINT NOT NULL,
	ps         INTEGER NOT NULL,
	path       TEXT NOT NULL,
	old_path   TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL DEFAULT 'M',     -- A, D, M, R, C, W
	is_binary  BOOLEAN NOT NULL DEFAULT FALSE,
	insertions INTEGER NOT NULL DEFAULT 0,
	deletions  INTEGER NOT NULL DEFAULT 0,
	size       BIGINT NOT NULL DEFAULT 0,
	size_delta BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (change_id, ps, path),
	FOREIGN KEY (change_id, ps) REFERENCES patch_sets (change_id, ps) ON DELETE CASCADE
);
CREATE INDEX patch_set_files_path ON patch_set_files (path);

CREATE TABLE approvals (
	change_id   BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	ps          INTEGER NOT NULL,
	account_id  BIGINT NOT NULL REFERENCES accounts (id),
	label       TEXT NOT NULL,
	value       INTEGER NOT NULL,
	granted_on  BIGINT NOT NULL,
	tag         TEXT NOT NULL DEFAULT '',
	post_submit BOOLEAN NOT NULL DEFAULT FALSE,
	copied      BOOLEAN NOT NULL DEFAULT FALSE,  -- carried over by copyCondition
	PRIMARY KEY (change_id, ps, account_id, label)
);
CREATE INDEX approvals_label ON approvals (label, value);

CREATE TABLE reviewers (
	change_id  BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	state      TEXT NOT NULL,                    -- REVIEWER, CC, REMOVED
	updated_on BIGINT NOT NULL,
	PRIMARY KEY (change_id, account_id)
);
CREATE INDEX reviewers_account ON reviewers (account_id, state);

CREATE TABLE change_messages (
	id         BIGINT PRIMARY KEY,               -- from message_ids
	change_id  BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	ps         INTEGER NOT NULL,
	author_id  BIGINT REFERENCES accounts (id),  -- NULL: Tandem itself
	message    TEXT NOT NULL,
	tag        TEXT NOT NULL DEFAULT '',
	created_on BIGINT NOT NULL
);
CREATE INDEX change_messages_change ON change_messages (change_id, id);

CREATE TABLE comments (
	id                TEXT PRIMARY KEY,
	change_id         BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	ps                INTEGER NOT NULL,
	author_id         BIGINT NOT NULL REFERENCES accounts (id),
	path              TEXT NOT NULL,
	side              INTEGER NOT NULL DEFAULT 0, -- 0 = REVISION, N > 0 = PARENT N
	line              INTEGER,                    -- NULL: file comment
	start_line        INTEGER,
	start_character   INTEGER,
	end_line          INTEGER,
	end_character     INTEGER,
	in_reply_to       TEXT,
	message           TEXT NOT NULL,
	unresolved        BOOLEAN NOT NULL DEFAULT FALSE,
	draft             BOOLEAN NOT NULL DEFAULT FALSE,
	tag               TEXT NOT NULL DEFAULT '',
	written_on        BIGINT NOT NULL,
	commit_id         TEXT NOT NULL DEFAULT '',
	change_message_id BIGINT
);
CREATE INDEX comments_change ON comments (change_id, draft);
CREATE INDEX comments_author ON comments (author_id, draft);

CREATE TABLE hashtags (
	change_id BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	hashtag   TEXT NOT NULL,
	PRIMARY KEY (change_id, hashtag)
);
CREATE INDEX hashtags_tag ON hashtags (hashtag);

CREATE TABLE stars (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	change_id  BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
	PRIMARY KEY (account_id, change_id)
);
CREATE INDEX stars_change ON stars (change_id);

-- The durable event log: Gerrit events for stream-events and webhooks, and
-- (later) cache evictions for other masters. Rows are appended in commit
-- order (see internal/events) so a reader that remembers the last id it saw
-- never misses one.
CREATE TABLE events (
	id         BIGSERIAL PRIMARY KEY,
	created_on BIGINT NOT NULL,
	type       TEXT NOT NULL,
	project    TEXT NOT NULL DEFAULT '',
	ref        TEXT NOT NULL DEFAULT '',
	change_id  BIGINT,
	payload    TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
	event_id     BIGINT NOT NULL,
	url          TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt BIGINT NOT NULL,
	state        TEXT NOT NULL,                  -- PENDING, DONE, FAILED
	last_error   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (event_id, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt);

-- How far the log's durable readers (the webhook worker) have got, so a
-- restart resumes where the reader stopped instead of at the start or end.
CREATE TABLE event_cursors (
	name     TEXT PRIMARY KEY,
	position BIGINT NOT NULL
);

-- A submit writes its intent before moving the branch, so any master can
-- finish or roll back the submit of a master that died.
CREATE TABLE submit_intents (
	id         BIGINT PRIMARY KEY,
	project    TEXT NOT NULL,
	branch     TEXT NOT NULL,
	old_tip    TEXT NOT NULL,
	new_tip    TEXT NOT NULL,
	changes    TEXT NOT NULL,                    -- JSON: change numbers and landed commits
	submitter_id BIGINT NOT NULL,
	node       TEXT NOT NULL,
	state      TEXT NOT NULL,                    -- PENDING, DONE, ABORTED
	created_on BIGINT NOT NULL
);
CREATE INDEX submit_intents_pending ON submit_intents (state);

-- One row per branch that has seen a submit: locked (FOR UPDATE) to
-- serialize submits to that branch across masters.
CREATE TABLE branch_locks (
	project TEXT NOT NULL,
	branch  TEXT NOT NULL,
	PRIMARY KEY (project, branch)
);

CREATE SEQUENCE change_ids START WITH 1;
CREATE SEQUENCE message_ids START WITH 1;
CREATE SEQUENCE intent_ids START WITH 1;
