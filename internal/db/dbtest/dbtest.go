// Package dbtest gives tests real databases: a fresh migrated SQLite file or
// PostgreSQL database per test, so one contract test runs on both dialects.
//
// PostgreSQL comes from a throwaway cluster that the first test needing it
// starts (initdb and pg_ctl in a temp dir, listening on a unix socket only,
// durability off) and Main stops when the tests are done, whether they
// passed or not; as root the cluster runs as the postgres user. Setting
// TANDEM_TEST_POSTGRES_URL to an existing server's admin URL (postgres://…,
// a user allowed to CREATE DATABASE) uses that server instead. A missing
// PostgreSQL installation fails the test; it is never skipped.
//
// A test package that uses PostgreSQL must call Main from TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// Every helper is safe for parallel tests. Databases are closed and dropped
// at the test's cleanup.
package dbtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"tandem/internal/db"
)

// Main runs the tests, stops the throwaway PostgreSQL cluster if one was
// started, and exits with the tests' status.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if err := stopCluster(); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Each runs fn as subtests "sqlite" and "postgresql", each with a fresh
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, typ := range []db.Type{db.SQLite, db.Postgres} {
		t.Run(string(typ), func(t *testing.T) {
			fn(t, Open(t, typ))
		})
	}
}

// Open returns a fresh migrated database of type typ, closed at cleanup.
func Open(t testing.TB, typ db.Type) *db.DB {
	t.Helper()
	opts := db.Options{Type: typ}
	if typ == db.Postgres {
		opts.URL = migratedPostgresURL(t)
	} else {
		opts = Options(t, typ)
	}
	d, err := db.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s test database: %v", typ, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close %s test database: %v", typ, err)
		}
	})
	// Also on a copy of the migrated template: proves it is current.
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s test database: %v", typ, err)
	}
	return d
}

// Options returns options that open a fresh, empty (not migrated) database
// of type typ, for tests of opening and migrating.
func Options(t testing.TB, typ db.Type) db.Options {
	t.Helper()
	switch typ {
	case db.SQLite:
		return db.Options{Type: db.SQLite, Path: filepath.Join(t.TempDir(), "tandem.db")}
	case db.Postgres:
		return db.Options{Type: db.Postgres, URL: PostgresURL(t)}
	}
	t.Fatalf("dbtest: unknown database type %q", typ)
	return db.Options{}
}
