package db

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the prepared statements of the most recent query texts,
// so that SQLite parses a hot query once per connection instead of on
// every call (pgx keeps a cache of its own). Only queries go through it:
// Exec texts include multi-statement migrations.
type stmtCache struct {
	db    *sql.DB
	limit int

	mu     sync.Mutex
	order  *list.List // of *cachedStmt, most recently used first
	byText map[string]*list.Element
}

type cachedStmt struct {
	text    string
	stmt    *sql.Stmt
	users   int  // callers between get and release
	evicted bool // out of the cache: closed when the last user releases it
}

// stmtCacheSize bounds the texts kept; a query with an IN list of each
// length counts once per length.
const stmtCacheSize = 256

func newStmtCache(db *sql.DB, limit int) *stmtCache {
	return &stmtCache{db: db, limit: limit, order: list.New(), byText: map[string]*list.Element{}}
}

// get returns the prepared statement of text, preparing it on first use.
// The caller releases it once its query has started: an evicted statement
// is closed only then, and rows already open keep it alive until closed.
func (c *stmtCache) get(ctx context.Context, text string) (*cachedStmt, error) {
	if cs := c.lookup(text); cs != nil {
		return cs, nil
	}
	// Prepare outside the lock; a racing caller's statement wins.
	st, err := c.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byText[text]; ok {
		st.Close()
		cs := e.Value.(*cachedStmt)
		cs.users++
		return cs, nil
	}
	cs := &cachedStmt{text: text, stmt: st, users: 1}
	c.byText[text] = c.order.PushFront(cs)
	if c.order.Len() > c.limit {
		old := c.order.Remove(c.order.Back()).(*cachedStmt)
		delete(c.byText, old.text)
		old.evicted = true
		if old.users == 0 {
			old.stmt.Close()
		}
	}
	return cs, nil
}

// release ends a use of a statement get returned.
func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs.users--; cs.users == 0 && cs.evicted {
		cs.stmt.Close()
	}
}

// lookup returns the cached statement of text, in use, nil when there is
// none.
func (c *stmtCache) lookup(text string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byText[text]; ok {
		c.order.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		cs.users++
		return cs
	}
	return nil
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.byText {
		e.Value.(*cachedStmt).stmt.Close()
	}
	c.order.Init()
	c.byText = map[string]*list.Element{}
}
