package db

import (
	"context"
	"fmt"
)

// Lock takes the cluster-wide lock named key, waiting until it is free or
// ctx ends, and returns the function that releases it. On PostgreSQL it is
// a session advisory lock held on a connection of its own, so a master that
// dies (or loses the database) lets it go with its connection; SQLite has a
// single master, and the lock is this process's.
func (d *DB) Lock(ctx context.Context, key string) (unlock func(), err error) {
	if d.typ != Postgres {
		return d.localLock(ctx, key)
	}
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return nil, Classify(err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock %q: %w", key, Classify(err))
	}
	return func() {
		// A failed unlock still ends the session, which releases it.
		if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			conn.Raw(func(any) error { return errBadConn })
		}
		conn.Close()
	}, nil
}

var errBadConn = fmt.Errorf("discard connection")

func (d *DB) localLock(ctx context.Context, key string) (func(), error) {
	d.locksMu.Lock()
	if d.locks == nil {
		d.locks = map[string]chan struct{}{}
	}
	ch := d.locks[key]
	if ch == nil {
		ch = make(chan struct{}, 1)
		d.locks[key] = ch
	}
	d.locksMu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
