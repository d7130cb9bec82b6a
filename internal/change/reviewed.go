package change

import (
	"context"
	"errors"
	"fmt"

	"tandem/internal/db"
)

// Reviewed-file flags are an account's own check marks on the files of a
// patch set (Gerrit's "reviewed" files). They are keyed by account, change,
// patch set and path, and go away with the patch set or the account.

// MarkReviewed flags path of patch set ps of change n as reviewed by
// accountID. It reports whether the flag is new: false when it was set
// already.
func (s *Store) MarkReviewed(ctx context.Context, q db.Querier, accountID, n int64, ps int, path string) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO reviewed_files (account_id, change_id, ps, path) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, accountID, n, ps, path)
	if err != nil {
		return false, fmt.Errorf("mark %q reviewed on %d,%d: %w", path, n, ps, err)
	}
	added, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark %q reviewed on %d,%d: %w", path, n, ps, err)
	}
	return added > 0, nil
}

// UnmarkReviewed clears accountID's reviewed flag on path of patch set ps
// of change n; clearing a flag that is not set is no error.
func (s *Store) UnmarkReviewed(ctx context.Context, q db.Querier, accountID, n int64, ps int, path string) error {
	if _, err := q.Exec(ctx, `DELETE FROM reviewed_files WHERE account_id = $1 AND change_id = $2 AND ps = $3 AND path = $4`,
		accountID, n, ps, path); err != nil {
		return fmt.Errorf("unmark %q reviewed on %d,%d: %w", path, n, ps, err)
	}
	return nil
}

// ReviewedPaths returns the paths accountID flagged as reviewed on patch
// set ps of change n, sorted; never nil.
func (s *Store) ReviewedPaths(ctx context.Context, q db.Querier, accountID, n int64, ps int) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT path FROM reviewed_files WHERE account_id = $1 AND change_id = $2 AND ps = $3
		ORDER BY path`, accountID, n, ps)
	if err != nil {
		return nil, fmt.Errorf("reviewed files of %d,%d: %w", n, ps, err)
	}
	paths, err := collect(rows, scanPath)
	if err != nil {
		return nil, fmt.Errorf("reviewed files of %d,%d: %w", n, ps, err)
	}
	if paths == nil {
		paths = []string{}
	}
	return paths, nil
}

// LatestReviewedBefore finds the newest patch set of change n below ps on
// which accountID flagged any file, and returns its number and paths
// (sorted); 0 and no paths when there is none. Flags carry forward from
// it to files a new patch set leaves unchanged, as in Gerrit.
func (s *Store) LatestReviewedBefore(ctx context.Context, q db.Querier, accountID, n int64, ps int) (int, []string, error) {
	rows, err := q.Query(ctx, `SELECT ps, path FROM reviewed_files
		WHERE account_id = $1 AND change_id = $2 AND ps = (
			SELECT MAX(ps) FROM reviewed_files WHERE account_id = $1 AND change_id = $2 AND ps < $3)
		ORDER BY path`, accountID, n, ps)
	if err != nil {
		return 0, nil, fmt.Errorf("reviewed files of %d before %d: %w", n, ps, err)
	}
	defer rows.Close()
	from := 0
	var paths []string
	for rows.Next() {
		var path string
		if err := rows.Scan(&from, &path); err != nil {
			return 0, nil, fmt.Errorf("reviewed files of %d before %d: %w", n, ps, err)
		}
		paths = append(paths, path)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("reviewed files of %d before %d: %w", n, ps, err)
	}
	return from, paths, nil
}

func scanPath(scan func(...any) error) (string, error) {
	var p string
	err := scan(&p)
	return p, err
}

// HasFile reports whether patch set ps of change n adds, modifies or
// deletes path against its first parent.
func (s *Store) HasFile(ctx context.Context, q db.Querier, n int64, ps int, path string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM patch_set_files WHERE change_id = $1 AND ps = $2 AND path = $3`, n, ps, path).Scan(&one)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("file %q of %d,%d: %w", path, n, ps, err)
	}
	return true, nil
}
