package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	_ "modernc.org/sqlite"             // registers driver "sqlite"
)

// Type names a database dialect, as spelled in database.type.
type Type string

// The supported dialects.
const (
	SQLite   Type = "sqlite"
	Postgres Type = "postgresql"
)

// Options say which database to open.
type Options struct {
	Type   Type
	Path   string       // SQLite database file (created when missing)
	URL    string       // PostgreSQL URL, e.g. postgres://user@/dbname?host=/tmp/sock&port=5432
	Logger *slog.Logger // may be nil
}

// sqliteBusyTimeout is how long a SQLite writer waits for the database lock
// before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// DB is an open database. See the package documentation for its contract.
type DB struct {
	typ    Type
	sql    *sql.DB
	log    *slog.Logger
	txOpts *sql.TxOptions // options of transactions run by Tx

	// writer queues this process's SQLite transactions in Go: SQLite's busy
	// handler polls with sleeps of up to 100ms, which wastes the lock's idle
	// time. Nil on PostgreSQL.
	writer chan struct{}
	// stmts prepares SQLite queries once; nil on PostgreSQL.
	stmts *stmtCache

	// locks are the named locks of Lock on SQLite, where this process is
	// the only master.
	locksMu sync.Mutex
	locks   map[string]chan struct{}
}

// Open opens the database described by o and checks that it answers.
// A database that cannot be reached gives an error matching ErrUnavailable.
func Open(ctx context.Context, o Options) (*DB, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &DB{typ: o.Type, log: log.With("component", "db")}
	var (
		sqlDB *sql.DB
		err   error
		what  string // names the database in errors, without secrets
	)
	switch o.Type {
	case SQLite:
		if o.Path == "" {
			return nil, errors.New("open sqlite: no database path")
		}
		path, err := filepath.Abs(o.Path)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %q: %w", o.Path, err)
		}
		what = fmt.Sprintf("sqlite %q", path)
		sqlDB, err = sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", what, err)
		}
		// BEGIN IMMEDIATE (from the DSN) already serializes writers; no
		// isolation level to ask for.
		d.writer = make(chan struct{}, 1)
	case Postgres:
		if o.URL == "" {
			return nil, errors.New("connect to postgresql: no database url")
		}
		what = "postgresql " + redactURL(o.URL)
		sqlDB, err = sql.Open("pgx", o.URL)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", what, err)
		}
		// SERIALIZABLE gives PostgreSQL transactions the semantics SQLite's
		// single writer gives: code that reads then writes needs no locks.
		d.txOpts = &sql.TxOptions{Isolation: sql.LevelSerializable}
	default:
		return nil, fmt.Errorf("open database: unknown type %q", o.Type)
	}
	// Keep connections around under bursts: a new SQLite connection re-runs
	// its pragmas, a new PostgreSQL connection costs a fork on the server.
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	d.sql = sqlDB
	if o.Type == SQLite {
		d.stmts = newStmtCache(sqlDB, stmtCacheSize)
	}

	if err := d.Ping(ctx); err != nil {
		sqlDB.Close()
		if o.Type == Postgres {
			return nil, fmt.Errorf("connect to %s: %w", what, err)
		}
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	return d, nil
}

// sqliteDSN is the modernc DSN for the database file at the absolute path.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(sqliteBusyTimeout.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	// A file: URI keeps '?' and '#' in the path from being read as the query.
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// redactURL hides the password in a PostgreSQL URL or key=value connection
// string meant for an error message.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		return passwordSetting.ReplaceAllString(s, "${1}xxxxx")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable url)"
	}
	return passwordSetting.ReplaceAllString(u.Redacted(), "${1}xxxxx")
}

// passwordSetting matches password=… in a connection string or URL query.
var passwordSetting = regexp.MustCompile(`(password=)('(\\.|[^'])*'|[^\s&]*)`)

// Type reports the dialect of d.
func (d *DB) Type() Type { return d.typ }

// Close closes d: new statements fail, statements running on the server
// are waited for, then every connection is closed.
func (d *DB) Close() error {
	if d.stmts != nil {
		d.stmts.close()
	}
	return d.sql.Close()
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	// A round trip, not merely a pooled connection that may be dead.
	var one int
	if err := d.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return Classify(err)
	}
	return nil
}

// Querier runs statements; *DB and *Tx implement it. Every error it returns
// is classified (see Classify).
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *Row
}

var (
	_ Querier = (*DB)(nil)
	_ Querier = (*Tx)(nil)
)

// Exec runs a statement that returns no rows.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := d.sql.ExecContext(ctx, query, args...)
	return res, Classify(err)
}

// Query runs a statement that returns rows; the caller closes them.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if d.stmts == nil {
		rows, err := d.sql.QueryContext(ctx, query, args...)
		return rows, Classify(err)
	}
	cs, err := d.stmts.get(ctx, query)
	if err != nil {
		return nil, Classify(err)
	}
	defer d.stmts.release(cs)
	rows, err := cs.stmt.QueryContext(ctx, args...)
	return rows, Classify(err)
}

// QueryRow runs a statement expected to return at most one row.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	if d.stmts == nil {
		return &Row{row: d.sql.QueryRowContext(ctx, query, args...)}
	}
	cs, err := d.stmts.get(ctx, query)
	if err != nil {
		return &Row{err: err}
	}
	defer d.stmts.release(cs)
	return &Row{row: cs.stmt.QueryRowContext(ctx, args...)}
}

// Row is the result of QueryRow.
type Row struct {
	row *sql.Row
	err error // preparing the statement failed
}

// Scan copies the row's columns into dest. No row gives ErrNotFound; every
// error is classified.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return Classify(r.err)
	}
	return Classify(r.row.Scan(dest...))
}

// Err reports the error of running the query, if any, without scanning.
func (r *Row) Err() error {
	if r.err != nil {
		return Classify(r.err)
	}
	return Classify(r.row.Err())
}
