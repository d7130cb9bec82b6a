// Package account owns accounts, their emails, SSH public keys and HTTP
// passwords, and groups with their members.
//
// Everything authoritative is in SQL; the only memory state is the
// content-keyed password memo (see password.go), which needs no cross-master
// eviction because its key changes whenever the stored hash does. A Service is
// safe for concurrent use.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"tandem/internal/cache"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/fail"
)

// Account is a user of Tandem.
type Account struct {
	ID             int64
	Username       string
	FullName       string
	PreferredEmail string
	Emails         []string
	Inactive       bool
	CreatedOn      time.Time
}

// DisplayName returns the full name, else the username, else the email.
func (a *Account) DisplayName() string {
	switch {
	case a.FullName != "":
		return a.FullName
	case a.Username != "":
		return a.Username
	}
	return a.PreferredEmail
}

// KeyParser validates an SSH public key given as text (authorized_keys or
// RFC 4716 form) and returns its one-line authorized_keys form and its
// SHA256 fingerprint. It is injected so this package stays free of SSH
// libraries.
type KeyParser func(text string) (line, fingerprint string, err error)

// Options are the dependencies of a Service.
type Options struct {
	DB        *db.DB
	Clock     clock.Clock
	Logger    *slog.Logger
	ParseKey  KeyParser
	HashCost  int // bcrypt cost; 0 = default
	MemoLimit int // remembered password checks; 0 disables the memo
	// GroupRenamed, when set, is told of each group rename once it is
	// stored, with the account that made it, to carry the new name
	// wherever the group is named (project configurations).
	GroupRenamed func(ctx context.Context, uuid, oldName, newName string, by *Account)
}

// Service manages accounts and groups.
type Service struct {
	db       *db.DB
	clock    clock.Clock
	log      *slog.Logger
	parseKey KeyParser
	hashCost int
	renamed  func(ctx context.Context, uuid, oldName, newName string, by *Account)
	memo     *passwordMemo
}

// New returns a Service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Service{
		db:       o.DB,
		clock:    o.Clock,
		log:      o.Logger.With("component", "account"),
		parseKey: o.ParseKey,
		hashCost: o.HashCost,
		renamed:  o.GroupRenamed,
		memo:     newPasswordMemo(o.MemoLimit),
	}
}

// PasswordCache returns the memo of successful HTTP password checks.
func (s *Service) PasswordCache() cache.Cache { return s.memo }

// Input describes a new account (Gerrit's AccountInput).
type Input struct {
	Username     string
	FullName     string
	Email        string
	SSHKeys      []string
	HTTPPassword string
	Groups       []string // group ids in any accepted form
	By           int64    // the creating account, for the groups' audit logs; 0: the new account itself
}

var usernameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]*$`)

// ValidUsername reports whether name is an acceptable username.
func ValidUsername(name string) bool {
	return len(name) <= 255 && usernameRE.MatchString(name)
}

// Create makes an account, with its email, keys, password and group
// memberships, in one transaction.
func (s *Service) Create(ctx context.Context, in Input) (*Account, error) {
	if !ValidUsername(in.Username) {
		return nil, fail.Errorf(fail.Invalid, "Invalid username '%s'", in.Username)
	}
	if in.Email != "" && !validEmail(in.Email) {
		return nil, fail.Errorf(fail.Invalid, "invalid email address")
	}
	type key struct{ line, fp string }
	var keys []key
	for _, k := range in.SSHKeys {
		line, fp, err := s.parseSSHKey(k)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key{line, fp})
	}
	var hash string
	if in.HTTPPassword != "" {
		h, err := s.hashPassword(in.HTTPPassword)
		if err != nil {
			return nil, err
		}
		hash = h
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	var id int64
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		groups := make([]*Group, 0, len(in.Groups))
		for _, g := range in.Groups {
			grp, err := s.resolveGroup(ctx, tx, g)
			if err != nil {
				return fail.Errorf(fail.Unprocessable, "Group Not Found: %s", g)
			}
			if grp.System() {
				return fail.Errorf(fail.Unprocessable, "External Group Not Allowed: %s", g)
			}
			groups = append(groups, grp)
		}
		var err error
		id, err = s.db.NextID(ctx, tx, "account_ids")
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO accounts (id, username, full_name, preferred_email, http_password_hash, created_on)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, in.Username, in.FullName, nullable(in.Email), hash, now.UnixMicro())
		if errors.Is(err, db.ErrConflict) {
			return fail.Errorf(fail.Conflict, "username '%s' already exists", in.Username)
		}
		if err != nil {
			return err
		}
		if in.Email != "" {
			_, err = tx.Exec(ctx, `INSERT INTO account_emails (email, account_id) VALUES ($1, $2)`, in.Email, id)
			if errors.Is(err, db.ErrConflict) {
				return fail.Errorf(fail.Conflict, "email '%s' already exists", in.Email)
			}
			if err != nil {
				return err
			}
		}
		for i, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO account_ssh_keys (account_id, seq, public_key, fingerprint) VALUES ($1, $2, $3, $4)`,
				id, i+1, k.line, k.fp); err != nil {
				return err
			}
		}
		by := in.By
		if by == 0 {
			by = id
		}
		for _, g := range groups {
			if _, err := s.addMember(ctx, tx, g, id, by); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("account created", "account_id", id, "username", in.Username)
	return s.Get(ctx, id)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func validEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n<>")
}

const accountColumns = `id, COALESCE(username, ''), full_name, COALESCE(preferred_email, ''), inactive, created_on`

// accountColumnsOf is accountColumns for the accounts table aliased as t.
func accountColumnsOf(t string) string {
	return fmt.Sprintf(`%[1]s.id, COALESCE(%[1]s.username, ''), %[1]s.full_name, COALESCE(%[1]s.preferred_email, ''), %[1]s.inactive, %[1]s.created_on`, t)
}

func scanAccount(scan func(...any) error) (*Account, error) {
	var a Account
	var created int64
	if err := scan(&a.ID, &a.Username, &a.FullName, &a.PreferredEmail, &a.Inactive, &created); err != nil {
		return nil, err
	}
	a.CreatedOn = time.UnixMicro(created).UTC()
	return &a, nil
}

// Get returns the account with the given id, or a NotFound error.
func (s *Service) Get(ctx context.Context, id int64) (*Account, error) {
	return s.get(ctx, s.db, `WHERE id = $1`, id)
}

// ByUsername returns the account with the given username.
func (s *Service) ByUsername(ctx context.Context, username string) (*Account, error) {
	return s.get(ctx, s.db, `WHERE username = $1`, username)
}

func (s *Service) get(ctx context.Context, q db.Querier, where string, arg any) (*Account, error) {
	a, err := scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts `+where, arg).Scan)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fail.Errorf(fail.NotFound, "Account '%v' not found", arg)
	}
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	return a, s.loadEmails(ctx, q, a)
}

// loadEmails fills in the addresses of a.
func (s *Service) loadEmails(ctx context.Context, q db.Querier, a *Account) error {
	rows, err := q.Query(ctx, `SELECT email FROM account_emails WHERE account_id = $1 ORDER BY email`, a.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return err
		}
		a.Emails = append(a.Emails, e)
	}
	return rows.Err()
}

// List returns all accounts, with their emails, ordered by id.
func (s *Service) List(ctx context.Context) ([]*Account, error) {
	rows, err := s.db.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Account
	byID := map[int64]*Account{}
	for rows.Next() {
		a, err := scanAccount(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		byID[a.ID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	emails, err := s.db.Query(ctx, `SELECT account_id, email FROM account_emails ORDER BY account_id, email`)
	if err != nil {
		return nil, err
	}
	defer emails.Close()
	for emails.Next() {
		var id int64
		var e string
		if err := emails.Scan(&id, &e); err != nil {
			return nil, err
		}
		if a := byID[id]; a != nil {
			a.Emails = append(a.Emails, e)
		}
	}
	return out, emails.Err()
}

// Count returns the number of accounts.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	return n, err
}

var (
	numericID = regexp.MustCompile(`^[0-9]+$`)
	nameAndID = regexp.MustCompile(`^.*\(([0-9]+)\)$`)
	nameEmail = regexp.MustCompile(`^.*<([^<>]+)>$`)
)

// Resolve finds an account by any of Gerrit's account-id forms except
// self/me, which the caller resolves: numeric id, "Full Name (id)",
// "Full Name <email>", email, username, or a unique full name.
func (s *Service) Resolve(ctx context.Context, id string) (*Account, error) {
	notFound := fail.Errorf(fail.NotFound, "Account '%s' not found", id)
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, notFound
	}
	if numericID.MatchString(id) {
		var n int64
		if _, err := fmt.Sscan(id, &n); err == nil {
			if a, err := s.Get(ctx, n); err == nil {
				return a, nil
			}
		}
	}
	if m := nameAndID.FindStringSubmatch(id); m != nil {
		var n int64
		fmt.Sscan(m[1], &n)
		if a, err := s.Get(ctx, n); err == nil {
			return a, nil
		}
		return nil, notFound
	}
	email := id
	if m := nameEmail.FindStringSubmatch(id); m != nil {
		email = m[1]
	}
	if strings.Contains(email, "@") {
		var aid int64
		err := s.db.QueryRow(ctx, `SELECT account_id FROM account_emails WHERE email = $1`, email).Scan(&aid)
		if err == nil {
			return s.Get(ctx, aid)
		}
		if !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
	}
	if a, err := s.ByUsername(ctx, id); err == nil {
		return a, nil
	} else if !fail.Is(err, fail.NotFound) {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id FROM accounts WHERE full_name = $1 LIMIT 2`, id)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, n)
	}
	rows.Close()
	if len(ids) == 1 {
		return s.Get(ctx, ids[0])
	}
	return nil, notFound
}

// Update changes the full name and, when email is non-empty, adds it and
// makes it preferred.
func (s *Service) Update(ctx context.Context, id int64, fullName, email *string) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if fullName != nil {
			if _, err := tx.Exec(ctx, `UPDATE accounts SET full_name = $1 WHERE id = $2`, *fullName, id); err != nil {
				return err
			}
		}
		if email != nil && *email != "" {
			return addEmail(ctx, tx, id, *email, true)
		}
		return nil
	})
}

// AddEmail gives account id the address email, made preferred if asked.
func (s *Service) AddEmail(ctx context.Context, id int64, email string, preferred bool) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error { return addEmail(ctx, tx, id, strings.TrimSpace(email), preferred) })
}

// addEmail adds email to account id; an address of another account is a
// conflict.
func addEmail(ctx context.Context, tx *db.Tx, id int64, email string, preferred bool) error {
	if !validEmail(email) {
		return fail.Errorf(fail.Invalid, "invalid email address")
	}
	// ON CONFLICT rather than catching the error: on PostgreSQL a failed
	// statement aborts the whole transaction.
	if _, err := tx.Exec(ctx, `INSERT INTO account_emails (email, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, email, id); err != nil {
		return err
	}
	var owner int64
	if err := tx.QueryRow(ctx, `SELECT account_id FROM account_emails WHERE email = $1`, email).Scan(&owner); err != nil {
		return err
	}
	if owner != id {
		return fail.Errorf(fail.Conflict, "email '%s' already exists", email)
	}
	if !preferred {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE accounts SET preferred_email = $1 WHERE id = $2`, email, id)
	return err
}
