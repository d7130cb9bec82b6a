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
	text string
	stmt *sql.Stmt
}

// stmtCacheSize bounds the texts kept; a query with an IN list of each
// length counts once per length.
const stmtCacheSize = 256

func newStmtCache(db *sql.DB, limit int) *stmtCache {
	return &stmtCache{db: db, limit: limit, order: list.New(), byText: map[string]*list.Element{}}
}

// get returns the prepared statement of text, preparing it on first use.
func (c *stmtCache) get(ctx context.Context, text string) (*sql.Stmt, error) {
	if st := c.lookup(text); st != nil {
		return st, nil
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
		return e.Value.(*cachedStmt).stmt, nil
	}
	c.byText[text] = c.order.PushFront(&cachedStmt{text: text, stmt: st})
	if c.order.Len() > c.limit {
		// Closing waits for no one: rows still open on the statement
		// keep it alive until they are closed.
		old := c.order.Remove(c.order.Back()).(*cachedStmt)
		delete(c.byText, old.text)
		old.stmt.Close()
	}
	return st, nil
}

// lookup returns the cached statement of text, nil when there is none.
func (c *stmtCache) lookup(text string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byText[text]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cachedStmt).stmt
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
