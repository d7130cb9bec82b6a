// Package db is Tandem's SQL store runtime: it opens the database (embedded
// SQLite or shared PostgreSQL), applies the embedded schema migrations, runs
// transactions with retries, allocates ids from database sequences, and
// classifies driver errors into a few kinds callers branch on.
//
// Queries are written once for both dialects with $1, $2, … placeholders,
// numbered in order of first appearance; a number may be reused. Both drivers
// bind $N to the N-th argument.
//
// Every error returned by a Querier (Exec, Query, Row.Scan), by Open and
// NextID, and by Tx when beginning or committing goes through Classify: errors.Is(err, ErrNotFound), ErrConflict and
// ErrUnavailable work on them, and *Error carries the violated constraint's
// name when the driver reports it. Errors from *sql.Rows (Next, Scan, Err) are
// the driver's own; pass them to Classify when it matters.
//
// Transactions are serializable on both databases. SQLite transactions start
// with BEGIN IMMEDIATE and queue for the single write lock (in Go within a
// process, on busy_timeout across processes) instead of failing when a
// reader upgrades; PostgreSQL transactions run at SERIALIZABLE isolation. A serialization failure,
// deadlock or SQLITE_BUSY re-runs the whole transaction function, so it must be
// idempotent and must do all its SQL through the *Tx it is given.
//
// Concurrency: a *DB is safe for concurrent use by many goroutines and by
// several processes on one database; a *Tx belongs to the goroutine running
// its function and is invalid once that function returns. Whoever calls Open
// closes the *DB, after every user is done with it.
package db
