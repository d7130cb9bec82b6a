package db

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestStmtCacheEvictionInUse runs more distinct queries than the cache
// holds from many goroutines at once: a statement evicted between one
// caller's get and its query must still run, and every answer be right.
func TestStmtCacheEvictionInUse(t *testing.T) {
	sqlDB, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "db")))
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	d := &DB{sql: sqlDB, stmts: newStmtCache(sqlDB, 2)}
	defer d.stmts.close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8*200)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				n := (g + i) % 7
				var got int
				if err := d.QueryRow(ctx, fmt.Sprintf("SELECT %d + $1", n), 1).Scan(&got); err != nil {
					errs <- err
				} else if got != n+1 {
					errs <- fmt.Errorf("SELECT %d + 1 = %d", n, got)
				}
				rows, err := d.Query(ctx, fmt.Sprintf("SELECT %d", n))
				if err != nil {
					errs <- err
					continue
				}
				rows.Close()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	for _, e := range d.stmts.byText {
		if cs := e.Value.(*cachedStmt); cs.users != 0 {
			t.Errorf("%q still has %d users", cs.text, cs.users)
		}
	}
}
