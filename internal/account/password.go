package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"tandem/internal/cache"
	"tandem/internal/db"
	"tandem/internal/fail"
)

// ErrBadCredentials is returned for an unknown user, a wrong password, an
// inactive account, or an account without an HTTP password: the caller must
// not learn which.
var ErrBadCredentials = fail.Errorf(fail.Unauthorized, "Unauthorized")

// hashPassword returns the slow hash stored for an HTTP password.
func (s *Service) hashPassword(pw string) (string, error) {
	if len(pw) > 72 {
		return "", fail.Errorf(fail.Invalid, "HTTP password is longer than 72 bytes")
	}
	cost := s.hashCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// GeneratePassword returns a fresh random HTTP password.
func GeneratePassword() string {
	var b [31]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// SetHTTPPassword stores pw (or clears the password when pw is empty).
func (s *Service) SetHTTPPassword(ctx context.Context, id int64, pw string) error {
	hash := ""
	if pw != "" {
		h, err := s.hashPassword(pw)
		if err != nil {
			return err
		}
		hash = h
	}
	res, err := s.db.Exec(ctx, `UPDATE accounts SET http_password_hash = $1 WHERE id = $2`, hash, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fail.Errorf(fail.NotFound, "Account '%d' not found", id)
	}
	return nil
}

// CheckPassword authenticates username with an HTTP password. The slow hash
// runs only the first time a given password is seen for a given stored hash;
// later checks compare a keyed digest from memory.
func (s *Service) CheckPassword(ctx context.Context, username, pw string) (*Account, error) {
	if username == "" || pw == "" {
		return nil, ErrBadCredentials
	}
	// The account comes with its hash, so a remembered check costs one
	// row; only the addresses are a second read.
	var hash string
	a, err := scanAccount(func(dest ...any) error {
		return s.db.QueryRow(ctx, `SELECT `+accountColumns+`, http_password_hash FROM accounts WHERE username = $1`, username).
			Scan(append(dest, &hash)...)
	})
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if hash == "" || a.Inactive {
		return nil, ErrBadCredentials
	}
	switch s.memo.check(a.ID, hash, pw) {
	case memoMismatch:
		return nil, ErrBadCredentials
	case memoUnknown:
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) != nil {
			return nil, ErrBadCredentials
		}
		s.memo.remember(a.ID, hash, pw)
	}
	if err := s.loadEmails(ctx, s.db, a); err != nil {
		return nil, err
	}
	return a, nil
}

// passwordMemo remembers successful password checks as HMAC digests keyed by
// (account, stored hash). Changing a password changes the stored hash, so a
// stale entry can never match: no eviction is needed on any master.
type passwordMemo struct {
	cache.Counter
	key   [32]byte
	limit int

	mu      sync.Mutex
	entries map[memoKey][32]byte
}

type memoKey struct {
	account int64
	hash    string
}

type memoResult int

const (
	memoUnknown memoResult = iota
	memoMatch
	memoMismatch
)

func newPasswordMemo(limit int) *passwordMemo {
	m := &passwordMemo{limit: limit, entries: map[memoKey][32]byte{}}
	if _, err := rand.Read(m.key[:]); err != nil {
		panic(err)
	}
	return m
}

func (m *passwordMemo) digest(pw string) [32]byte {
	mac := hmac.New(sha256.New, m.key[:])
	mac.Write([]byte(pw))
	var d [32]byte
	copy(d[:], mac.Sum(nil))
	return d
}

func (m *passwordMemo) check(id int64, hash, pw string) memoResult {
	if m.limit <= 0 {
		return memoUnknown
	}
	m.mu.Lock()
	want, ok := m.entries[memoKey{id, hash}]
	m.mu.Unlock()
	m.Count(ok)
	if !ok {
		return memoUnknown
	}
	got := m.digest(pw)
	if hmac.Equal(got[:], want[:]) {
		return memoMatch
	}
	return memoMismatch
}

// Len returns the number of checks remembered.
func (m *passwordMemo) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Flush forgets every check.
func (m *passwordMemo) Flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.entries)
}

func (m *passwordMemo) remember(id int64, hash, pw string) {
	if m.limit <= 0 {
		return
	}
	d := m.digest(pw)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= m.limit {
		for k := range m.entries { // drop an arbitrary entry; it is only a memo
			delete(m.entries, k)
			break
		}
	}
	for k := range m.entries {
		if k.account == id && k.hash != hash {
			delete(m.entries, k)
		}
	}
	m.entries[memoKey{id, hash}] = d
}
