package dbtest_test

import (
	"context"
	"database/sql"
	"testing"

	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestPostgresURLIsEmpty(t *testing.T) {
	conn, err := sql.Open("pgx", dbtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var tables int
	if err := conn.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("fresh database has %d tables, want 0", tables)
	}
}

func TestEachGivesFreshMigratedDatabases(t *testing.T) {
	var types []db.Type
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		types = append(types, d.Type())
		ctx := context.Background()
		other := dbtest.Open(t, d.Type())
		if _, err := d.Exec(ctx, "INSERT INTO projects (name, created_on) VALUES ('p', 0)"); err != nil {
			t.Fatalf("insert into a migrated database: %v", err)
		}
		var n int
		if err := other.QueryRow(ctx, "SELECT COUNT(*) FROM projects").Scan(&n); err != nil || n != 0 {
			t.Errorf("another test database has %d projects, %v; want 0", n, err)
		}
	})
	if len(types) != 2 || types[0] != db.SQLite || types[1] != db.Postgres {
		t.Errorf("Each ran on %v, want [sqlite postgresql]", types)
	}
}
