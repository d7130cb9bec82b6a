package change

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"tandem/internal/db"
	"tandem/internal/fail"
)

// ErrConcurrentUpdate reports that a change moved on between read and write;
// the caller's transaction should be retried from the start.
var ErrConcurrentUpdate = errors.New("change updated concurrently")

// Store reads and writes change rows.
type Store struct {
	db        *db.DB
	patchSets *patchSetCache
}

// patchSetCacheChanges bounds how many changes' patch sets PatchSetsOf
// keeps (in each of its two generations).
const patchSetCacheChanges = 10000

// NewStore returns a Store on d.
func NewStore(d *db.DB) *Store {
	return &Store{db: d, patchSets: newPatchSetCache(patchSetCacheChanges)}
}

// DB returns the database the store uses.
func (s *Store) DB() *db.DB { return s.db }

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// NextNumber allocates a change number from the database.
func (s *Store) NextNumber(ctx context.Context, q db.Querier) (int64, error) {
	return s.db.NextID(ctx, q, "change_ids")
}

// Insert stores a new change.
func (s *Store) Insert(ctx context.Context, q db.Querier, c *Change) error {
	c.Version = 1
	_, err := q.Exec(ctx, `INSERT INTO changes (id, project, branch, change_key, owner_id, status, subject, topic,
		current_ps, wip, private, reviewed, created_on, updated_on, submitted_on, submitter_id, submission_id,
		revert_of, cherry_pick_of_change, cherry_pick_of_ps, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		c.Number, c.Project, c.Branch, c.Key, c.OwnerID, string(c.Status), c.Subject, c.Topic,
		c.CurrentPS, c.WIP, c.Private, c.Reviewed, micros(c.Created), micros(c.Updated),
		nullTime(c.Submitted), nullID(c.SubmitterID), nullString(c.SubmissionID),
		nullID(c.RevertOf), nullID(c.CherryPickOf), nullID(int64(c.CherryPickOfPS)), c.Version)
	if errors.Is(err, db.ErrConflict) {
		return fail.Errorf(fail.Conflict, "%s has duplicates", c.Key)
	}
	return err
}

// Update writes c if nobody changed it since it was read (its Version);
// otherwise it returns ErrConcurrentUpdate. On success Version is bumped.
func (s *Store) Update(ctx context.Context, q db.Querier, c *Change) error {
	res, err := q.Exec(ctx, `UPDATE changes SET status = $1, subject = $2, topic = $3, current_ps = $4,
		wip = $5, private = $6, reviewed = $7, updated_on = $8, submitted_on = $9, submitter_id = $10,
		submission_id = $11, version = version + 1, owner_id = $12, branch = $13,
		cherry_pick_of_change = $14, cherry_pick_of_ps = $15
		WHERE id = $16 AND version = $17`,
		string(c.Status), c.Subject, c.Topic, c.CurrentPS, c.WIP, c.Private, c.Reviewed, micros(c.Updated),
		nullTime(c.Submitted), nullID(c.SubmitterID), nullString(c.SubmissionID), c.OwnerID, c.Branch,
		nullID(c.CherryPickOf), nullID(int64(c.CherryPickOfPS)), c.Number, c.Version)
	if errors.Is(err, db.ErrConflict) {
		return fail.Errorf(fail.Conflict, "%s has duplicates", c.Key)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConcurrentUpdate
	}
	c.Version++
	return nil
}

// Delete removes change c and every row that belongs to it (patch sets,
// votes, reviewers, messages, comments, hashtags, stars, reviewed flags)
// if nobody changed it since it was read; otherwise it returns
// ErrConcurrentUpdate. Its refs are the caller's to delete.
func (s *Store) Delete(ctx context.Context, q db.Querier, c *Change) error {
	res, err := q.Exec(ctx, `DELETE FROM changes WHERE id = $1 AND version = $2`, c.Number, c.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConcurrentUpdate
	}
	return nil
}

const changeColumns = `id, project, branch, change_key, owner_id, status, subject, topic, current_ps, wip, private,
	reviewed, created_on, updated_on, COALESCE(submitted_on, 0), COALESCE(submitter_id, 0), COALESCE(submission_id, ''),
	COALESCE(revert_of, 0), COALESCE(cherry_pick_of_change, 0), COALESCE(cherry_pick_of_ps, 0), version`

// ChangeColumns is the column list ScanChange expects, for queries that
// select changes with their own WHERE clause.
const ChangeColumns = changeColumns

// ScanChange scans a row selected with ChangeColumns.
func ScanChange(scan func(...any) error) (*Change, error) {
	var c Change
	var status string
	var created, updated, submitted int64
	if err := scan(&c.Number, &c.Project, &c.Branch, &c.Key, &c.OwnerID, &status, &c.Subject, &c.Topic, &c.CurrentPS,
		&c.WIP, &c.Private, &c.Reviewed, &created, &updated, &submitted, &c.SubmitterID, &c.SubmissionID,
		&c.RevertOf, &c.CherryPickOf, &c.CherryPickOfPS, &c.Version); err != nil {
		return nil, err
	}
	c.Status = Status(status)
	c.Created, c.Updated, c.Submitted = fromMicros(created), fromMicros(updated), fromMicros(submitted)
	return &c, nil
}

// Get returns change number n, or a NotFound error.
func (s *Store) Get(ctx context.Context, q db.Querier, n int64) (*Change, error) {
	c, err := ScanChange(q.QueryRow(ctx, `SELECT `+changeColumns+` FROM changes WHERE id = $1`, n).Scan)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fail.Errorf(fail.NotFound, "Not found: %d", n)
	}
	return c, err
}

// GetMany returns the changes numbered numbers that exist, by number. They
// are read in batches, within the databases' limits on parameters.
func (s *Store) GetMany(ctx context.Context, q db.Querier, numbers ...int64) ([]*Change, error) {
	numbers = slices.Clone(numbers)
	slices.Sort(numbers)
	numbers = slices.Compact(numbers)
	var out []*Change
	for batch := range slices.Chunk(numbers, 500) {
		where, args := inList("id", batch)
		cs, err := s.List(ctx, q, where, "id", args...)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// List returns the changes selected by where (a condition on the changes
// table) in the order given.
func (s *Store) List(ctx context.Context, q db.Querier, where, order string, args ...any) ([]*Change, error) {
	query := `SELECT ` + changeColumns + ` FROM changes`
	if where != "" {
		query += ` WHERE ` + where
	}
	if order != "" {
		query += ` ORDER BY ` + order
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, ScanChange)
}

// OpenByKey returns the open change with Change-Id key on a branch, or nil.
func (s *Store) OpenByKey(ctx context.Context, q db.Querier, project, branch, key string) (*Change, error) {
	cs, err := s.List(ctx, q, `project = $1 AND branch = $2 AND change_key = $3 AND status = 'NEW'`, "", project, branch, key)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return cs[0], nil
}

// ByKey returns every change with Change-Id key (one per branch, newest first).
func (s *Store) ByKey(ctx context.Context, q db.Querier, project, branch, key string) ([]*Change, error) {
	where, args := `change_key = $1`, []any{key}
	if project != "" {
		where += ` AND project = $2`
		args = append(args, project)
		if branch != "" {
			where += ` AND branch = $3`
			args = append(args, branch)
		}
	}
	return s.List(ctx, q, where, `id DESC`, args...)
}

// ByKeyPrefix returns changes whose Change-Id starts with prefix.
func (s *Store) ByKeyPrefix(ctx context.Context, q db.Querier, prefix string, limit int) ([]*Change, error) {
	return s.List(ctx, q, `change_key >= $1 AND change_key < $2`, fmt.Sprintf("id DESC LIMIT %d", limit), prefix, prefix+"\uffff")
}

// InsertPatchSet stores a patch set and its files.
func (s *Store) InsertPatchSet(ctx context.Context, q db.Querier, ps *PatchSet, files []File) error {
	_, err := q.Exec(ctx, `INSERT INTO patch_sets (change_id, ps, commit_sha, parents, uploader_id, created_on, kind,
		description, author_name, author_email, author_when, author_tz, committer_name, committer_email,
		committer_when, committer_tz, message, insertions, deletions)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		ps.Change, ps.Number, ps.Commit, strings.Join(ps.Parents, " "), ps.UploaderID, micros(ps.Created), ps.Kind,
		ps.Description, ps.Author.Name, ps.Author.Email, micros(ps.Author.When), ps.Author.TZ,
		ps.Committer.Name, ps.Committer.Email, micros(ps.Committer.When), ps.Committer.TZ,
		ps.Message, ps.Insertions, ps.Deletions)
	if err != nil {
		return fmt.Errorf("insert patch set %d,%d: %w", ps.Change, ps.Number, err)
	}
	for _, f := range files {
		if _, err := q.Exec(ctx, `INSERT INTO patch_set_files (change_id, ps, path, old_path, status, is_binary,
			insertions, deletions, size, size_delta, old_mode, new_mode, old_sha, new_sha)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			ps.Change, ps.Number, f.Path, f.OldPath, f.Status, f.Binary, f.Insertions, f.Deletions, f.Size, f.SizeDelta,
			f.OldMode, f.NewMode, f.OldSHA, f.NewSHA); err != nil {
			return fmt.Errorf("insert file %q: %w", f.Path, err)
		}
	}
	return nil
}

const patchSetColumns = `change_id, ps, commit_sha, parents, uploader_id, created_on, kind, description,
	author_name, author_email, author_when, author_tz, committer_name, committer_email, committer_when,
	committer_tz, message, insertions, deletions`

func scanPatchSet(scan func(...any) error) (*PatchSet, error) {
	var ps PatchSet
	var parents string
	var created, aw, cw int64
	if err := scan(&ps.Change, &ps.Number, &ps.Commit, &parents, &ps.UploaderID, &created, &ps.Kind, &ps.Description,
		&ps.Author.Name, &ps.Author.Email, &aw, &ps.Author.TZ, &ps.Committer.Name, &ps.Committer.Email, &cw,
		&ps.Committer.TZ, &ps.Message, &ps.Insertions, &ps.Deletions); err != nil {
		return nil, err
	}
	ps.Parents = strings.Fields(parents)
	ps.Created, ps.Author.When, ps.Committer.When = fromMicros(created), fromMicros(aw), fromMicros(cw)
	return &ps, nil
}

// PatchSets returns the patch sets of the given changes, ordered by change
// and number.
func (s *Store) PatchSets(ctx context.Context, q db.Querier, numbers ...int64) ([]*PatchSet, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT `+patchSetColumns+` FROM patch_sets WHERE `+where+` ORDER BY change_id, ps`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPatchSet)
}

// PatchSetsByCommit returns the patch sets, in any project, whose commit is
// one of shas. They are looked up in batches, so that a long pushed
// history stays within the database's limit on parameters.
func (s *Store) PatchSetsByCommit(ctx context.Context, q db.Querier, shas []string) ([]*PatchSet, error) {
	var out []*PatchSet
	for batch := range slices.Chunk(shas, 500) {
		where, args := inList("commit_sha", batch)
		rows, err := q.Query(ctx, `SELECT `+patchSetColumns+` FROM patch_sets WHERE `+where, args...)
		if err != nil {
			return nil, err
		}
		pss, err := collect(rows, scanPatchSet)
		if err != nil {
			return nil, err
		}
		out = append(out, pss...)
	}
	return out, nil
}

// OpenChildren returns the patch sets, of open changes on branch of
// project, that have commit as a parent: the changes that need it. Parents
// are full ids separated by spaces, so a match is always a whole one.
func (s *Store) OpenChildren(ctx context.Context, q db.Querier, project, branch, commit string) ([]*PatchSet, error) {
	rows, err := q.Query(ctx, `SELECT `+qualified(patchSetColumns, "p")+` FROM patch_sets p JOIN changes c ON c.id = p.change_id
		WHERE c.project = $1 AND c.branch = $2 AND c.status = 'NEW' AND p.parents LIKE $3
		ORDER BY p.change_id, p.ps`, project, branch, "%"+commit+"%")
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPatchSet)
}

// qualified prefixes each column of a column list with a table alias.
func qualified(columns, alias string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// Files returns the files of one patch set ordered by path.
func (s *Store) Files(ctx context.Context, q db.Querier, n int64, ps int) ([]File, error) {
	rows, err := q.Query(ctx, `SELECT `+fileColumns+`
		FROM patch_set_files WHERE change_id = $1 AND ps = $2 ORDER BY path`, n, ps)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(scan func(...any) error) (File, error) {
		_, f, err := scanFile(scan)
		return f, err
	})
}

// fileColumns are the columns scanFile reads.
const fileColumns = `change_id, ps, path, old_path, status, is_binary, insertions, deletions, size, size_delta,
	old_mode, new_mode, old_sha, new_sha`

// scanFile scans a patch_set_files row selected with fileColumns.
func scanFile(scan func(...any) error) (PatchSetKey, File, error) {
	var k PatchSetKey
	var f File
	err := scan(&k.Change, &k.PatchSet, &f.Path, &f.OldPath, &f.Status, &f.Binary, &f.Insertions, &f.Deletions, &f.Size, &f.SizeDelta,
		&f.OldMode, &f.NewMode, &f.OldSHA, &f.NewSHA)
	return k, f, err
}

// PatchSetKey names one patch set of one change.
type PatchSetKey struct {
	Change   int64
	PatchSet int
}

// FilesOfChanges returns the files of every patch set of the given
// changes, each list ordered by path.
func (s *Store) FilesOfChanges(ctx context.Context, q db.Querier, numbers ...int64) (map[PatchSetKey][]File, error) {
	return filesWhere(ctx, q, numbers, "")
}

// CurrentFilesOf returns the files of the current patch set of each of the
// given changes, each list ordered by path.
func (s *Store) CurrentFilesOf(ctx context.Context, q db.Querier, numbers ...int64) (map[PatchSetKey][]File, error) {
	return filesWhere(ctx, q, numbers, ` AND ps = (SELECT current_ps FROM changes WHERE changes.id = patch_set_files.change_id)`)
}

// filesWhere reads the files of the given changes' patch sets that also
// meet the condition and.
func filesWhere(ctx context.Context, q db.Querier, numbers []int64, and string) (map[PatchSetKey][]File, error) {
	out := map[PatchSetKey][]File{}
	if len(numbers) == 0 {
		return out, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT `+fileColumns+`
		FROM patch_set_files WHERE `+where+and+` ORDER BY change_id, ps, path`, args...)
	if err != nil {
		return nil, err
	}
	type keyed struct {
		k PatchSetKey
		f File
	}
	files, err := collect(rows, func(scan func(...any) error) (keyed, error) {
		k, f, err := scanFile(scan)
		return keyed{k, f}, err
	})
	if err != nil {
		return nil, err
	}
	for _, kf := range files {
		out[kf.k] = append(out[kf.k], kf.f)
	}
	return out, nil
}

// Approvals returns the votes of the given changes on every patch set.
func (s *Store) Approvals(ctx context.Context, q db.Querier, numbers ...int64) ([]Vote, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT change_id, ps, account_id, label, value, granted_on, tag, post_submit, copied
		FROM approvals WHERE `+where+` ORDER BY change_id, ps, granted_on, account_id, label`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Vote
	for rows.Next() {
		var a Vote
		var granted int64
		if err := rows.Scan(&a.Change, &a.PatchSet, &a.AccountID, &a.Label, &a.Value, &granted, &a.Tag, &a.PostSubmit, &a.Copied); err != nil {
			return nil, err
		}
		a.Granted = fromMicros(granted)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetApproval records a vote; value 0 removes it.
func (s *Store) SetApproval(ctx context.Context, q db.Querier, a Vote) error {
	if _, err := q.Exec(ctx, `DELETE FROM approvals WHERE change_id = $1 AND ps = $2 AND account_id = $3 AND label = $4`,
		a.Change, a.PatchSet, a.AccountID, a.Label); err != nil {
		return err
	}
	if a.Value == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `INSERT INTO approvals (change_id, ps, account_id, label, value, granted_on, tag, post_submit, copied)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.Change, a.PatchSet, a.AccountID, a.Label, a.Value, micros(a.Granted), a.Tag, a.PostSubmit, a.Copied)
	return err
}

// Reviewers returns the reviewers and CCs of change n.
func (s *Store) Reviewers(ctx context.Context, q db.Querier, n int64) ([]Reviewer, error) {
	m, err := s.ReviewersOf(ctx, q, n)
	return m[n], err
}

// ReviewersOf returns the reviewers and CCs of the given changes, by
// change, in the order they were last updated.
func (s *Store) ReviewersOf(ctx context.Context, q db.Querier, numbers ...int64) (map[int64][]Reviewer, error) {
	out := map[int64][]Reviewer{}
	if len(numbers) == 0 {
		return out, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT change_id, account_id, state, updated_on FROM reviewers WHERE `+where+`
		ORDER BY change_id, updated_on, account_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n, updated int64
		var r Reviewer
		if err := rows.Scan(&n, &r.AccountID, &r.State, &updated); err != nil {
			return nil, err
		}
		r.Updated = fromMicros(updated)
		out[n] = append(out[n], r)
	}
	return out, rows.Err()
}

// SetReviewer puts an account on a change in state (REVIEWER, CC, REMOVED).
func (s *Store) SetReviewer(ctx context.Context, q db.Querier, n, accountID int64, state string, now time.Time) error {
	if _, err := q.Exec(ctx, `DELETE FROM reviewers WHERE change_id = $1 AND account_id = $2`, n, accountID); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `INSERT INTO reviewers (change_id, account_id, state, updated_on) VALUES ($1, $2, $3, $4)`,
		n, accountID, state, micros(now))
	return err
}

// AddMessage stores a change message, assigning its id.
func (s *Store) AddMessage(ctx context.Context, q db.Querier, m *ChangeMessage) error {
	id, err := s.db.NextID(ctx, q, "message_ids")
	if err != nil {
		return err
	}
	m.ID = id
	_, err = q.Exec(ctx, `INSERT INTO change_messages (id, change_id, ps, author_id, real_author_id, message, tag, created_on)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, m.ID, m.Change, m.PatchSet, nullID(m.AuthorID), nullID(m.RealAuthorID),
		m.Message, m.Tag, micros(m.Created))
	return err
}

// Messages returns the messages of the given changes, by change and then
// in order.
func (s *Store) Messages(ctx context.Context, q db.Querier, numbers ...int64) ([]ChangeMessage, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT id, change_id, ps, COALESCE(author_id, 0), COALESCE(real_author_id, 0), message, tag, created_on
		FROM change_messages WHERE `+where+` ORDER BY change_id, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChangeMessage
	for rows.Next() {
		var m ChangeMessage
		var created int64
		if err := rows.Scan(&m.ID, &m.Change, &m.PatchSet, &m.AuthorID, &m.RealAuthorID, &m.Message, &m.Tag, &created); err != nil {
			return nil, err
		}
		m.Created = fromMicros(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

const commentColumns = `id, change_id, ps, author_id, path, side, COALESCE(line, 0), start_line, start_character,
	end_line, end_character, COALESCE(in_reply_to, ''), message, unresolved, draft, tag, written_on, commit_id,
	COALESCE(change_message_id, 0)`

// Comments returns a change's published comments, plus the drafts of
// draftsOf (0: no drafts), ordered by path, patch set, line and time.
func (s *Store) Comments(ctx context.Context, q db.Querier, n int64, draftsOf int64) ([]Comment, error) {
	rows, err := q.Query(ctx, `SELECT `+commentColumns+` FROM comments
		WHERE change_id = $1 AND (draft = FALSE OR author_id = $2)
		ORDER BY path, ps, COALESCE(line, 0), written_on, id`, n, draftsOf)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanComment)
}

// PublishedComments returns the published comments of the given changes,
// by change and then as Comments orders them.
func (s *Store) PublishedComments(ctx context.Context, q db.Querier, numbers ...int64) ([]Comment, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT `+commentColumns+` FROM comments WHERE draft = FALSE AND `+where+`
		ORDER BY change_id, path, ps, COALESCE(line, 0), written_on, id`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanComment)
}

// scanComment scans a row selected with commentColumns.
func scanComment(scan func(...any) error) (Comment, error) {
	var c Comment
	var sl, sc, el, ec *int64
	var written int64
	if err := scan(&c.ID, &c.Change, &c.PatchSet, &c.AuthorID, &c.Path, &c.Side, &c.Line, &sl, &sc, &el, &ec,
		&c.InReplyTo, &c.Message, &c.Unresolved, &c.Draft, &c.Tag, &written, &c.CommitID, &c.ChangeMessageID); err != nil {
		return c, err
	}
	if sl != nil && el != nil {
		r := Range{StartLine: int(*sl), EndLine: int(*el)}
		if sc != nil {
			r.StartCharacter = int(*sc)
		}
		if ec != nil {
			r.EndCharacter = int(*ec)
		}
		c.Range = &r
	}
	c.Written = fromMicros(written)
	return c, nil
}

// PutComment inserts or replaces a comment.
func (s *Store) PutComment(ctx context.Context, q db.Querier, c *Comment) error {
	if _, err := q.Exec(ctx, `DELETE FROM comments WHERE id = $1`, c.ID); err != nil {
		return err
	}
	var sl, sc, el, ec any
	if c.Range != nil {
		sl, sc, el, ec = c.Range.StartLine, c.Range.StartCharacter, c.Range.EndLine, c.Range.EndCharacter
	}
	var line any
	if c.Line > 0 {
		line = c.Line
	}
	_, err := q.Exec(ctx, `INSERT INTO comments (id, change_id, ps, author_id, path, side, line, start_line,
		start_character, end_line, end_character, in_reply_to, message, unresolved, draft, tag, written_on,
		commit_id, change_message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		c.ID, c.Change, c.PatchSet, c.AuthorID, c.Path, c.Side, line, sl, sc, el, ec, nullString(c.InReplyTo), c.Message,
		c.Unresolved, c.Draft, c.Tag, micros(c.Written), c.CommitID, nullID(c.ChangeMessageID))
	return err
}

// DeleteComment removes a comment (used for drafts).
func (s *Store) DeleteComment(ctx context.Context, q db.Querier, id string) error {
	_, err := q.Exec(ctx, `DELETE FROM comments WHERE id = $1`, id)
	return err
}

// Hashtags returns the sorted hashtags of change n, empty for none.
func (s *Store) Hashtags(ctx context.Context, q db.Querier, n int64) ([]string, error) {
	m, err := s.HashtagsOf(ctx, q, n)
	if err != nil {
		return nil, err
	}
	if m[n] == nil {
		return []string{}, nil
	}
	return m[n], nil
}

// HashtagsOf returns the sorted hashtags of the given changes, by change.
func (s *Store) HashtagsOf(ctx context.Context, q db.Querier, numbers ...int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(numbers) == 0 {
		return out, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT change_id, hashtag FROM hashtags WHERE `+where+` ORDER BY change_id, hashtag`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var h string
		if err := rows.Scan(&n, &h); err != nil {
			return nil, err
		}
		out[n] = append(out[n], h)
	}
	return out, rows.Err()
}

// EditHashtags adds and removes hashtags.
func (s *Store) EditHashtags(ctx context.Context, q db.Querier, n int64, add, remove []string) error {
	for _, h := range remove {
		if _, err := q.Exec(ctx, `DELETE FROM hashtags WHERE change_id = $1 AND hashtag = $2`, n, h); err != nil {
			return err
		}
	}
	for _, h := range add {
		if _, err := q.Exec(ctx, `INSERT INTO hashtags (change_id, hashtag) VALUES ($1, $2) ON CONFLICT DO NOTHING`, n, h); err != nil {
			return err
		}
	}
	return nil
}

// SetStar stars or unstars a change for an account.
func (s *Store) SetStar(ctx context.Context, q db.Querier, accountID, n int64, on bool) error {
	if !on {
		_, err := q.Exec(ctx, `DELETE FROM stars WHERE account_id = $1 AND change_id = $2`, accountID, n)
		return err
	}
	_, err := q.Exec(ctx, `INSERT INTO stars (account_id, change_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, accountID, n)
	return err
}

// Starred reports which of the given changes an account starred.
func (s *Store) Starred(ctx context.Context, q db.Querier, accountID int64, numbers ...int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if accountID == 0 || len(numbers) == 0 {
		return out, nil
	}
	where, args := inList("change_id", numbers)
	args = append(args, accountID)
	rows, err := q.Query(ctx, `SELECT change_id FROM stars WHERE `+where+fmt.Sprintf(` AND account_id = $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(func(...any) error) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// inList renders "col IN ($1, …)" for values.
func inList[T any](col string, values []T) (string, []any) {
	var b strings.Builder
	args := make([]any, len(values))
	b.WriteString(col + " IN (")
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i+1)
		args[i] = v
	}
	b.WriteString(")")
	return b.String(), args
}

// BranchOf returns, for a project, a function mapping a patch-set ref
// (refs/changes/NN/C/P) to its change's destination branch, for deciding
// who may fetch it, and telling whether the change is private to others
// than viewer: private, and viewer is not its owner, a reviewer or CC.
// The changes are read once, on the first call that needs them; a read
// that fails maps nothing for that call and is tried again on the next.
func (s *Store) BranchOf(ctx context.Context, projectName string, viewer int64) func(ref string) (branch string, private, ok bool) {
	var (
		mu      sync.Mutex
		targets map[int]refTarget
	)
	return func(ref string) (string, bool, bool) {
		n, _, ok := ParsePatchSetRef(ref)
		if !ok {
			return "", false, false
		}
		mu.Lock()
		defer mu.Unlock()
		if targets == nil {
			m, err := s.refTargets(ctx, projectName, viewer)
			if err != nil {
				return "", false, false
			}
			targets = m
		}
		t, ok := targets[n]
		return t.branch, t.private, ok
	}
}

type refTarget struct {
	branch  string
	private bool // to others than the viewer
}

// refTargets maps the project's changes to their branches and whether
// they are private to others than viewer.
func (s *Store) refTargets(ctx context.Context, projectName string, viewer int64) (map[int]refTarget, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id, c.branch, CASE WHEN c.private AND c.owner_id <> $2 AND NOT EXISTS (
			SELECT 1 FROM reviewers r WHERE r.change_id = c.id AND r.account_id = $2 AND r.state <> $3)
		THEN 1 ELSE 0 END
		FROM changes c WHERE c.project = $1`, projectName, viewer, StateRemoved)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int]refTarget{}
	for rows.Next() {
		var id, private int
		var branch string
		if err := rows.Scan(&id, &branch, &private); err != nil {
			return nil, err
		}
		m[id] = refTarget{branch: branch, private: private == 1}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// CurrentPatchSet returns the change's current patch set.
func (s *Store) CurrentPatchSet(ctx context.Context, q db.Querier, ch *Change) (*PatchSet, error) {
	ps, err := s.PatchSet(ctx, q, ch.Number, ch.CurrentPS)
	if fail.Is(err, fail.NotFound) {
		return nil, fmt.Errorf("change %d has no patch set %d", ch.Number, ch.CurrentPS)
	}
	return ps, err
}

// PatchSet returns patch set ps of change n: NotFound "Not found: n,ps"
// when there is none.
func (s *Store) PatchSet(ctx context.Context, q db.Querier, n int64, ps int) (*PatchSet, error) {
	p, err := scanPatchSet(q.QueryRow(ctx, `SELECT `+patchSetColumns+` FROM patch_sets WHERE change_id = $1 AND ps = $2`, n, ps).Scan)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fail.Errorf(fail.NotFound, "Not found: %d,%d", n, ps)
	}
	return p, err
}

// HasOpen reports whether a branch has any open change.
func (s *Store) HasOpen(ctx context.Context, projectName, branch string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE project = $1 AND branch = $2 AND status = 'NEW' LIMIT 1) AS o`, projectName, branch).Scan(&n)
	return n > 0, err
}
