// Package auth identifies the caller of an HTTP request: HTTP Basic with an
// account's HTTP password (auth.type = HTTP_PASSWORD) or a user name trusted
// from a proxy header (auth.type = HTTP). It is shared by the REST API and
// git over HTTP so both authenticate identically.
package auth

import (
	"context"
	"net/http"
	"strings"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/fail"
)

// Realm is Gerrit's Basic realm; git and clients show it in prompts.
const Realm = `Basic realm="Gerrit Code Review"`

// Caller is the identity behind one request.
type Caller struct {
	Account *account.Account // nil for anonymous callers
	Groups  map[string]bool  // group UUIDs including system groups
}

// Anonymous reports whether nobody signed in.
func (c *Caller) Anonymous() bool { return c.Account == nil }

// ID returns the account id, 0 for anonymous callers.
func (c *Caller) ID() int64 {
	if c.Account == nil {
		return 0
	}
	return c.Account.ID
}

// Subject returns the caller as access control sees it.
func (c *Caller) Subject() access.Subject {
	s := access.Subject{AccountID: c.ID(), Groups: c.Groups}
	if c.Account != nil {
		s.Username = c.Account.Username
	}
	return s
}

// Authenticator checks credentials.
type Authenticator struct {
	Accounts *account.Service
	Type     string // HTTP_PASSWORD or HTTP
	Header   string // trusted header for Type HTTP
}

// AnonymousCaller returns the caller for a request without credentials.
func AnonymousCaller() *Caller {
	return &Caller{Groups: map[string]bool{account.AnonymousUsers: true}}
}

// Authenticate returns the caller named by the request's credentials, an
// anonymous caller when there are none, or an Unauthorized error when they
// are wrong.
func (a *Authenticator) Authenticate(r *http.Request) (*Caller, error) {
	if a.Type == "HTTP" {
		name := r.Header.Get(a.Header)
		if a.Header == "" || strings.EqualFold(a.Header, "Authorization") {
			name, _, _ = r.BasicAuth()
		}
		if name == "" {
			return AnonymousCaller(), nil
		}
		acct, err := a.Accounts.ByUsername(r.Context(), name)
		if err != nil {
			return nil, account.ErrBadCredentials
		}
		return a.caller(r.Context(), acct)
	}
	user, pw, ok := r.BasicAuth()
	if !ok {
		if r.Header.Get("Authorization") != "" {
			return nil, account.ErrBadCredentials
		}
		return AnonymousCaller(), nil
	}
	acct, err := a.Accounts.CheckPassword(r.Context(), user, pw)
	if err != nil {
		return nil, err
	}
	return a.caller(r.Context(), acct)
}

// ForAccount returns the caller for an already authenticated account.
func (a *Authenticator) ForAccount(ctx context.Context, acct *account.Account) (*Caller, error) {
	return a.caller(ctx, acct)
}

func (a *Authenticator) caller(ctx context.Context, acct *account.Account) (*Caller, error) {
	groups, err := a.Accounts.GroupsOf(ctx, acct.ID)
	if err != nil {
		return nil, fail.Wrap(fail.Unavailable, err, "cannot load group membership")
	}
	return &Caller{Account: acct, Groups: groups}, nil
}

// Challenge writes Gerrit's 401 answer.
func Challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", Realm)
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte("Unauthorized\n"))
}
