package db

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"
)

// Retry policy of Tx: attempts in all, and the backoff before the second
// attempt, doubled after each further failure up to maxBackoff.
const (
	maxAttempts  = 10
	firstBackoff = 2 * time.Millisecond
	maxBackoff   = 200 * time.Millisecond
)

// Tx is a transaction in progress, handed to the function given to DB.Tx.
type Tx struct {
	tx *sql.Tx
	db *DB
}

// Tx runs fn in a transaction: it commits when fn returns nil and rolls back
// when fn returns an error or panics (the panic goes on). When the
// transaction fails with a PostgreSQL serialization failure or deadlock or
// with SQLITE_BUSY, Tx rolls back, waits briefly and runs fn again, a few
// times at most; fn must therefore be idempotent, keep no state from a failed
// attempt and do all its SQL through tx (a statement on d from inside fn can
// wait on the transaction's own lock, and calling d.Tx from fn deadlocks on
// SQLite).
//
// An error returned by fn comes back unchanged; errors from beginning and
// committing are classified.
func (d *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	return d.runTx(ctx, d.txOpts, fn)
}

func (d *DB) runTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Tx) error) error {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		err := d.tryTx(ctx, opts, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		d.log.DebugContext(ctx, "retrying transaction", "attempt", attempt, "err", err)
		// Jitter keeps colliding transactions from colliding again.
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (d *DB) tryTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Tx) error) (err error) {
	if d.writer != nil {
		select {
		case d.writer <- struct{}{}:
			defer func() { <-d.writer }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sqlTx, err := d.sql.BeginTx(ctx, opts)
	if err != nil {
		return Classify(err)
	}
	done := false
	defer func() {
		if !done {
			// fn panicked; the rollback error would hide the panic.
			_ = sqlTx.Rollback()
		}
	}()
	err = fn(&Tx{tx: sqlTx, db: d})
	done = true
	if err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	return Classify(sqlTx.Commit())
}

// Exec runs a statement that returns no rows.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	return res, Classify(err)
}

// Query runs a statement that returns rows; the caller closes them before
// the next statement on t.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, release := t.stmt(ctx, query)
	if st == nil {
		rows, err := t.tx.QueryContext(ctx, query, args...)
		return rows, Classify(err)
	}
	defer release()
	rows, err := st.QueryContext(ctx, args...)
	return rows, Classify(err)
}

// QueryRow runs a statement expected to return at most one row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	if st, release := t.stmt(ctx, query); st != nil {
		defer release()
		return &Row{row: st.QueryRowContext(ctx, args...)}
	}
	return &Row{row: t.tx.QueryRowContext(ctx, query, args...)}
}

// stmt returns the statement of query that queries outside transactions
// have cached, bound to the transaction (so it reuses its preparation on
// the transaction's connection), and the release to call once the query
// has started; nil when there is none. A transaction does not prepare
// through the cache itself: another connection would not see tables the
// transaction has just created.
func (t *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, func()) {
	if t.db.stmts == nil {
		return nil, nil
	}
	cs := t.db.stmts.lookup(query)
	if cs == nil {
		return nil, nil
	}
	return t.tx.StmtContext(ctx, cs.stmt), func() { t.db.stmts.release(cs) }
}
