package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// NextID allocates the next id from the named sequence (account_ids,
// group_ids, …), unique across every process using the database. On
// PostgreSQL the id is taken even if q's transaction rolls back, leaving a
// gap; on SQLite it is returned to the sequence. An unknown sequence gives
// ErrNotFound.
func (d *DB) NextID(ctx context.Context, q Querier, sequence string) (int64, error) {
	var id int64
	var err error
	if d.typ == Postgres {
		err = q.QueryRow(ctx, "SELECT nextval(CAST($1 AS TEXT)::regclass)", sequence).Scan(&id)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == pgUndefinedTable {
			err = &Error{Kind: ErrNotFound, Err: err}
		}
	} else {
		err = q.QueryRow(ctx,
			"UPDATE sequences SET next = next + 1 WHERE name = $1 RETURNING next - 1", sequence).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("next id from %q: %w", sequence, err)
	}
	return id, nil
}
