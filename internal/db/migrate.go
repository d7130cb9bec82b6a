package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Each dialect has its own folder of numbered migrations, NNNN_name.sql; both
// folders hold the same versions with the same names.
//
//go:embed migrations/sqlite/*.sql migrations/postgresql/*.sql
var migrationFiles embed.FS

// migrationLockKey is the PostgreSQL advisory lock that serializes Migrate
// across processes ("tandem" in ASCII).
const migrationLockKey int64 = 0x74616e64656d

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns typ's migrations in version order.
func migrations(typ Type) ([]migration, error) {
	dir := path.Join("migrations", string(typ))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || name == "" {
			return nil, fmt.Errorf("migration %q: name is not NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migration version %d twice", ms[i].version)
		}
	}
	return ms, nil
}

// Migrate brings the schema up to the newest embedded migration, applying
// each one not yet recorded in schema_migrations, in version order, in one
// transaction. It is idempotent and safe when several processes migrate one
// database at once: PostgreSQL serializes them on an advisory lock, SQLite on
// its write lock. A database already migrated past what this binary knows is
// refused, so an old binary never runs against a newer schema.
func (d *DB) Migrate(ctx context.Context) error {
	ms, err := migrations(d.typ)
	if err != nil {
		return err
	}
	newest := 0
	if len(ms) > 0 {
		newest = ms[len(ms)-1].version
	}
	// READ COMMITTED on PostgreSQL: each statement must see what a migrator
	// that held the lock before us committed, which a serializable snapshot
	// taken before the lock was granted would not.
	var opts *sql.TxOptions
	if d.typ == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	var applied []string
	err = d.runTx(ctx, opts, func(tx *Tx) error {
		applied = applied[:0]
		if d.typ == Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
				return fmt.Errorf("lock schema: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		done, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		if len(done) > 0 {
			if v := slices.Max(done); v > newest {
				return fmt.Errorf("database schema version %d is newer than this tandem supports (%d)", v, newest)
			}
		}
		for _, m := range ms {
			if slices.Contains(done, m.version) {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.Exec(ctx,
				"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "+d.nowMicros()+")",
				m.version, m.name); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
			}
			applied = append(applied, fmt.Sprintf("%04d_%s", m.version, m.name))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) > 0 {
		d.log.InfoContext(ctx, "applied schema migrations", "migrations", applied)
	}
	return nil
}

func appliedVersions(ctx context.Context, q Querier) ([]int, error) {
	rows, err := q.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", Classify(err))
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", Classify(err))
	}
	return vs, nil
}

// nowMicros is an SQL expression for the database's current time in unix
// microseconds; the database's clock, not this master's, orders events.
func (d *DB) nowMicros() string {
	if d.typ == Postgres {
		return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)"
	}
	return "CAST(unixepoch('subsec') * 1000000 AS INTEGER)"
}
