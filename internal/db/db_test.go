package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestMigrateTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for range 2 {
			if err := d.Migrate(ctx); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		if got, want := count(t, d, "SELECT COUNT(*) FROM schema_migrations"), int64(db.LatestVersion(t, d.Type())); got != want {
			t.Errorf("schema_migrations has %d rows, want %d", got, want)
		}
	})
}

func TestMigrateConcurrent(t *testing.T) {
	for _, typ := range []db.Type{db.SQLite, db.Postgres} {
		t.Run(string(typ), func(t *testing.T) {
			ctx := context.Background()
			opts := dbtest.Options(t, typ)
			const migrators = 4
			var dbs []*db.DB
			for range migrators {
				dbs = append(dbs, open(t, opts))
			}
			errs := make([]error, migrators)
			var wg sync.WaitGroup
			for i, d := range dbs {
				wg.Go(func() { errs[i] = d.Migrate(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Migrate #%d: %v", i, err)
				}
			}
			if got, want := count(t, dbs[0], "SELECT COUNT(*) FROM schema_migrations"), int64(db.LatestVersion(t, typ)); got != want {
				t.Errorf("schema_migrations has %d rows, want %d", got, want)
			}
		})
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		latest := db.LatestVersion(t, d.Type())
		if _, err := d.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)", latest+7); err != nil {
			t.Fatal(err)
		}
		err := d.Migrate(ctx)
		want := fmt.Sprintf("database schema version %d is newer than this tandem supports (%d)", latest+7, latest)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Migrate = %v, want an error containing %q", err, want)
		}
	})
}

func TestUniqueViolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		addAccount(t, d, 1, "alice")
		if _, err := d.Exec(ctx, "INSERT INTO account_emails (email, account_id) VALUES ('a@example.com', 1)"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			desc       string
			query      string
			constraint string // a part of the reported constraint name
		}{
			{desc: "unique column", query: "INSERT INTO accounts (id, username, created_on) VALUES (2, 'alice', 0)", constraint: "username"},
			{desc: "primary key", query: "INSERT INTO accounts (id, username, created_on) VALUES (1, 'bob', 0)", constraint: "accounts"},
			{desc: "text primary key", query: "INSERT INTO account_emails (email, account_id) VALUES ('a@example.com', 1)", constraint: "account_emails"},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				_, err := d.Exec(ctx, tc.query)
				if !errors.Is(err, db.ErrConflict) {
					t.Fatalf("Exec = %v, want ErrConflict", err)
				}
				var dbErr *db.Error
				if !errors.As(err, &dbErr) || !strings.Contains(dbErr.Constraint, tc.constraint) {
					t.Errorf("constraint of %v = %q, want it to contain %q", err, dbErr.Constraint, tc.constraint)
				}
				if errors.Is(err, db.ErrNotFound) || errors.Is(err, db.ErrUnavailable) {
					t.Errorf("error %v matches another kind", err)
				}
			})
		}
	})
}

func TestQueryRowNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var name string
		err := d.QueryRow(ctx, "SELECT username FROM accounts WHERE id = $1", 42).Scan(&name)
		if !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Scan = %v, want ErrNotFound", err)
		}
		err = d.Tx(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(ctx, "SELECT username FROM accounts WHERE id = $1", 42).Scan(&name)
		})
		if !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Scan in Tx = %v, want ErrNotFound", err)
		}
	})
}

func TestTxRollback(t *testing.T) {
	errBoom := errors.New("boom")
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			desc string
			fail func() error // ends the transaction function
		}{
			{desc: "error", fail: func() error { return fmt.Errorf("wrapped: %w", errBoom) }},
			{desc: "panic", fail: func() error { panic(errBoom) }},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				var err error
				recovered := func() (r any) {
					defer func() { r = recover() }()
					err = d.Tx(ctx, func(tx *db.Tx) error {
						if _, err := tx.Exec(ctx, "INSERT INTO projects (name, created_on) VALUES ($1, 0)", tc.desc); err != nil {
							return err
						}
						return tc.fail()
					})
					return nil
				}()
				if recovered == nil && !errors.Is(err, errBoom) {
					t.Errorf("Tx = %v, want the function's error", err)
				}
				if recovered != nil && recovered != errBoom {
					t.Errorf("Tx panicked with %v, want the function's panic", recovered)
				}
				if n := count(t, d, "SELECT COUNT(*) FROM projects"); n != 0 {
					t.Errorf("%d projects after rollback, want 0", n)
				}
			})
		}
		if err := d.Tx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO projects (name, created_on) VALUES ('kept', 0)")
			return err
		}); err != nil {
			t.Fatalf("Tx: %v", err)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM projects"); n != 1 {
			t.Errorf("%d projects after commit, want 1", n)
		}
	})
}

// TestTxConcurrentIncrements reads then writes one counter from many
// transactions at once; every increment must land, which on PostgreSQL
// takes retries of serialization failures.
func TestTxConcurrentIncrements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, "INSERT INTO secrets (name, value) VALUES ('counter', '0')"); err != nil {
			t.Fatal(err)
		}
		const workers, increments = 6, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*increments)
		for range workers {
			wg.Go(func() {
				for range increments {
					errs <- d.Tx(ctx, func(tx *db.Tx) error {
						var v string
						if err := tx.QueryRow(ctx, "SELECT value FROM secrets WHERE name = 'counter'").Scan(&v); err != nil {
							return err
						}
						var n int
						fmt.Sscan(v, &n)
						_, err := tx.Exec(ctx, "UPDATE secrets SET value = $1 WHERE name = 'counter'", fmt.Sprint(n+1))
						return err
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Tx: %v", err)
			}
		}
		var v string
		if err := d.QueryRow(ctx, "SELECT value FROM secrets WHERE name = 'counter'").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint(workers * increments); v != want {
			t.Errorf("counter = %s, want %s", v, want)
		}
	})
}

// TestTxRetries makes the first attempt fail with each database's
// retryable error and checks that the second attempt runs and commits.
func TestTxRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		failOnce := serializationFailure
		if d.Type() == db.SQLite {
			failOnce = busyFailure(t, d)
		}
		attempts := 0
		err := d.Tx(ctx, func(tx *db.Tx) error {
			attempts++
			if _, err := tx.Exec(ctx, "INSERT INTO projects (name, created_on) VALUES ('p', 0)"); err != nil {
				return err
			}
			if attempts == 1 {
				return failOnce(ctx, tx)
			}
			return nil
		})
		if err != nil || attempts != 2 {
			t.Errorf("Tx = %v after %d attempts, want success after 2", err, attempts)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM projects"); n != 1 {
			t.Errorf("%d projects, want 1", n)
		}
	})
}

// serializationFailure raises the error PostgreSQL gives a serializable
// transaction that lost a conflict.
func serializationFailure(ctx context.Context, tx *db.Tx) error {
	_, err := tx.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'test conflict' USING ERRCODE = 'serialization_failure'; END $$`)
	if err == nil {
		return errors.New("raising serialization_failure did not fail")
	}
	return fmt.Errorf("wrapped: %w", err)
}

// busyFailure returns a function that gets SQLITE_BUSY for real: a second
// connection that does not wait tries to write while tx holds the lock.
func busyFailure(t *testing.T, d *db.DB) func(context.Context, *db.Tx) error {
	t.Helper()
	var path string
	if err := d.QueryRow(context.Background(), "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return func(ctx context.Context, _ *db.Tx) error {
		_, err := other.ExecContext(ctx, "INSERT INTO projects (name, created_on) VALUES ('other', 0)")
		if err == nil {
			return errors.New("writing beside a write transaction did not fail")
		}
		return err
	}
}

func TestNextID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			desc     string
			sequence string
			want     []int64
		}{
			{desc: "accounts", sequence: "account_ids", want: []int64{1000000, 1000001, 1000002}},
			{desc: "groups", sequence: "group_ids", want: []int64{1, 2}},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				for _, want := range tc.want {
					got, err := d.NextID(ctx, d, tc.sequence)
					if err != nil || got != want {
						t.Errorf("NextID(%s) = %d, %v; want %d", tc.sequence, got, err, want)
					}
				}
			})
		}

		t.Run("unknown sequence", func(t *testing.T) {
			if _, err := d.NextID(ctx, d, "no_such_ids"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("NextID(no_such_ids) = %v, want ErrNotFound", err)
			}
		})

		t.Run("concurrent", func(t *testing.T) {
			const workers, each = 6, 20
			ids := make(chan int64, workers*each)
			errs := make(chan error, workers*each)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for range each {
						var id int64
						var err error
						if w%2 == 0 {
							id, err = d.NextID(ctx, d, "account_ids")
						} else {
							err = d.Tx(ctx, func(tx *db.Tx) error {
								id, err = d.NextID(ctx, tx, "account_ids")
								return err
							})
						}
						errs <- err
						ids <- id
					}
				})
			}
			wg.Wait()
			close(ids)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("NextID: %v", err)
				}
			}
			seen := map[int64]bool{}
			for id := range ids {
				if seen[id] || id < 1000000 {
					t.Errorf("NextID gave %d twice or below the start", id)
				}
				seen[id] = true
			}
		})
	})
}

func TestPlaceholders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// Order of columns differs from order of placeholders; $1 is used twice.
		if _, err := d.Exec(ctx,
			"INSERT INTO accounts (full_name, id, username, created_on) VALUES ($2, $1, $3, $1)",
			int64(7), "Alice Example", "alice"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			desc  string
			query string
			args  []any
			want  string
		}{
			{desc: "in order", query: "SELECT username FROM accounts WHERE id = $1 AND full_name = $2", args: []any{7, "Alice Example"}, want: "alice"},
			{desc: "reused", query: "SELECT username FROM accounts WHERE id = $1 AND created_on = $1", args: []any{7}, want: "alice"},
			{desc: "reused after others", query: "SELECT full_name FROM accounts WHERE username = $1 AND id = $2 AND created_on = $2 AND username = $1", args: []any{"alice", 7}, want: "Alice Example"},
			{desc: "many", query: "SELECT username FROM accounts WHERE id IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", args: []any{1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 7}, want: "alice"},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				var got string
				if err := d.QueryRow(ctx, tc.query, tc.args...).Scan(&got); err != nil || got != tc.want {
					t.Errorf("query = %q, %v; want %q", got, err, tc.want)
				}
			})
		}
	})
}

func TestRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			desc     string
			id       int64
			username sql.NullString
			inactive bool
			created  int64
		}{
			{desc: "max int64", id: math.MaxInt64, username: sql.NullString{String: "max", Valid: true}, inactive: true, created: math.MaxInt64},
			{desc: "min int64", id: math.MinInt64, username: sql.NullString{String: "min", Valid: true}, created: math.MinInt64},
			{desc: "null username", id: 0, inactive: true, created: 1_700_000_000_000_000},
			{desc: "empty username", id: 1, username: sql.NullString{Valid: true}, created: -1},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				if _, err := d.Exec(ctx,
					"INSERT INTO accounts (id, username, inactive, created_on) VALUES ($1, $2, $3, $4)",
					tc.id, tc.username, tc.inactive, tc.created); err != nil {
					t.Fatal(err)
				}
				var (
					username sql.NullString
					inactive bool
					created  int64
				)
				if err := d.QueryRow(ctx, "SELECT username, inactive, created_on FROM accounts WHERE id = $1", tc.id).
					Scan(&username, &inactive, &created); err != nil {
					t.Fatal(err)
				}
				if username != tc.username || inactive != tc.inactive || created != tc.created {
					t.Errorf("read back %v, %v, %d; want %v, %v, %d", username, inactive, created, tc.username, tc.inactive, tc.created)
				}
				var n int64
				if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM accounts WHERE id = $1 AND inactive = $2", tc.id, tc.inactive).Scan(&n); err != nil || n != 1 {
					t.Errorf("count matching a bool = %d, %v; want 1", n, err)
				}
			})
		}
		var inactive bool
		if err := d.QueryRow(ctx, "SELECT inactive FROM accounts WHERE id = $1", int64(math.MinInt64)).Scan(&inactive); err != nil || inactive {
			t.Errorf("default inactive = %v, %v; want false", inactive, err)
		}
	})
}

// TestGroupsAndCascades uses the groups table unquoted (a keyword in both
// dialects) and checks that foreign keys cascade.
func TestGroupsAndCascades(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		addAccount(t, d, 1, "alice")
		for _, q := range []string{
			"INSERT INTO groups (id, uuid, name, owner_uuid, created_on) VALUES (1, 'u1', 'Administrators', 'u1', 0)",
			"INSERT INTO group_members (group_id, account_id) VALUES (1, 1)",
			"INSERT INTO group_includes (group_id, include_uuid) VALUES (1, 'global:Registered-Users')",
			"INSERT INTO account_emails (email, account_id) VALUES ('alice@example.com', 1)",
			"INSERT INTO account_ssh_keys (account_id, seq, public_key, fingerprint) VALUES (1, 1, 'ssh-ed25519 AAAA', 'SHA256:x')",
		} {
			if _, err := d.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var name string
		if err := d.QueryRow(ctx, `SELECT groups.name FROM groups JOIN group_members m ON m.group_id = groups.id
			WHERE m.account_id = $1 AND groups.visible_to_all = $2`, 1, false).Scan(&name); err != nil || name != "Administrators" {
			t.Errorf("group of alice = %q, %v; want Administrators", name, err)
		}
		if _, err := d.Exec(ctx, "INSERT INTO group_members (group_id, account_id) VALUES (1, 99)"); err == nil {
			t.Errorf("member with an unknown account was accepted; foreign keys are off")
		}
		if _, err := d.Exec(ctx, "DELETE FROM accounts WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, "DELETE FROM groups WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"group_members", "group_includes", "account_emails", "account_ssh_keys"} {
			if n := count(t, d, "SELECT COUNT(*) FROM "+table); n != 0 {
				t.Errorf("%d rows left in %s after deleting their parents", n, table)
			}
		}
	})
}

func TestOpenErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		desc        string
		opts        db.Options
		unavailable bool
		mention     string
	}{
		{
			desc:        "postgresql without a server",
			opts:        db.Options{Type: db.Postgres, URL: "postgres://tandem:secret@/review?host=" + missing + "&port=5432"},
			unavailable: true,
			mention:     "review",
		},
		{
			desc:        "sqlite in a missing directory",
			opts:        db.Options{Type: db.SQLite, Path: filepath.Join(missing, "tandem.db")},
			unavailable: true,
			mention:     "tandem.db",
		},
		{desc: "unknown type", opts: db.Options{Type: "oracle"}, mention: "oracle"},
		{desc: "postgresql without url", opts: db.Options{Type: db.Postgres}, mention: "postgresql"},
		{desc: "sqlite without path", opts: db.Options{Type: db.SQLite}, mention: "sqlite"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := db.Open(context.Background(), tc.opts)
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded")
			}
			if errors.Is(err, db.ErrUnavailable) != tc.unavailable {
				t.Errorf("Open = %v; ErrUnavailable %v, want %v", err, !tc.unavailable, tc.unavailable)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("Open = %v, want it to mention %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open = %v shows the password", err)
			}
		})
	}
}

func TestConnectionLost(t *testing.T) {
	d := dbtest.Open(t, db.Postgres)
	ctx := context.Background()
	err := d.Tx(ctx, func(tx *db.Tx) error {
		var pid int
		if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			return err
		}
		if _, err := d.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
			t.Fatalf("terminate backend: %v", err)
		}
		_, err := tx.Exec(ctx, "SELECT 1")
		return err
	})
	if !errors.Is(err, db.ErrUnavailable) {
		t.Errorf("query on a terminated connection = %v, want ErrUnavailable", err)
	}
	if err := d.Ping(ctx); err != nil {
		t.Errorf("Ping after a lost connection: %v", err)
	}
}

func TestSQLiteSettings(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	for _, tc := range []struct {
		desc  string
		query string
		want  string
	}{
		{desc: "wal", query: "PRAGMA journal_mode", want: "wal"},
		{desc: "foreign keys", query: "PRAGMA foreign_keys", want: "1"},
		{desc: "busy timeout", query: "PRAGMA busy_timeout", want: "10000"},
		{desc: "synchronous normal", query: "PRAGMA synchronous", want: "1"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var got string
			if err := d.QueryRow(context.Background(), tc.query).Scan(&got); err != nil || got != tc.want {
				t.Errorf("%s = %q, %v; want %q", tc.query, got, err, tc.want)
			}
		})
	}
}

func open(t testing.TB, opts db.Options) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func count(t testing.TB, q db.Querier, query string) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func addAccount(t testing.TB, d *db.DB, id int64, username string) {
	t.Helper()
	if _, err := d.Exec(context.Background(),
		"INSERT INTO accounts (id, username, created_on) VALUES ($1, $2, 0)", id, username); err != nil {
		t.Fatalf("add account %s: %v", username, err)
	}
}

func TestLock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		unlock, err := d.Lock(ctx, "refs/heads/main")
		if err != nil {
			t.Fatal(err)
		}
		// A second taker waits until the first lets go.
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := d.Lock(short, "refs/heads/main"); err == nil {
			t.Fatal("second Lock succeeded while the first holds it")
		}
		other, err := d.Lock(ctx, "refs/heads/other")
		if err != nil {
			t.Fatalf("a different key must not wait: %v", err)
		}
		other()
		got := make(chan error, 1)
		go func() {
			u, err := d.Lock(ctx, "refs/heads/main")
			if err == nil {
				u()
			}
			got <- err
		}()
		unlock()
		if err := <-got; err != nil {
			t.Fatalf("Lock after unlock: %v", err)
		}
	})
}
