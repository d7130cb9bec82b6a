package account

import (
	"context"
	"errors"
	"strings"

	"tandem/internal/db"
	"tandem/internal/fail"
)

// SSHKey is one of an account's public keys.
type SSHKey struct {
	Seq         int
	Line        string // authorized_keys form: "algorithm base64 [comment]"
	Fingerprint string
}

// Algorithm returns the key's algorithm name.
func (k SSHKey) Algorithm() string { return field(k.Line, 0) }

// EncodedKey returns the base64 key blob.
func (k SSHKey) EncodedKey() string { return field(k.Line, 1) }

// Comment returns the key's comment, if any.
func (k SSHKey) Comment() string {
	parts := strings.SplitN(k.Line, " ", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

func field(s string, i int) string {
	f := strings.Fields(s)
	if i < len(f) {
		return f[i]
	}
	return ""
}

func (s *Service) parseSSHKey(text string) (line, fp string, err error) {
	if s.parseKey == nil {
		return "", "", errors.New("no ssh key parser configured")
	}
	line, fp, err = s.parseKey(strings.TrimSpace(text))
	if err != nil {
		return "", "", fail.Errorf(fail.Invalid, "Invalid SSH Key")
	}
	return line, fp, nil
}

// SSHKeys lists an account's keys ordered by sequence number.
func (s *Service) SSHKeys(ctx context.Context, id int64) ([]SSHKey, error) {
	rows, err := s.db.Query(ctx, `SELECT seq, public_key, fingerprint FROM account_ssh_keys WHERE account_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []SSHKey
	for rows.Next() {
		var k SSHKey
		if err := rows.Scan(&k.Seq, &k.Line, &k.Fingerprint); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// AddSSHKey validates and stores a public key; adding a key the account
// already has returns the existing entry.
func (s *Service) AddSSHKey(ctx context.Context, id int64, text string) (SSHKey, error) {
	line, fp, err := s.parseSSHKey(text)
	if err != nil {
		return SSHKey{}, err
	}
	var key SSHKey
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		var seq int
		err := tx.QueryRow(ctx, `SELECT seq FROM account_ssh_keys WHERE account_id = $1 AND fingerprint = $2`, id, fp).Scan(&seq)
		if err == nil {
			key = SSHKey{Seq: seq, Line: line, Fingerprint: fp}
			return nil
		}
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM account_ssh_keys WHERE account_id = $1`, id).Scan(&seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO account_ssh_keys (account_id, seq, public_key, fingerprint) VALUES ($1, $2, $3, $4)`,
			id, seq, line, fp); err != nil {
			return err
		}
		key = SSHKey{Seq: seq, Line: line, Fingerprint: fp}
		return nil
	})
	return key, err
}

// DeleteSSHKey removes key seq of an account.
func (s *Service) DeleteSSHKey(ctx context.Context, id int64, seq int) error {
	res, err := s.db.Exec(ctx, `DELETE FROM account_ssh_keys WHERE account_id = $1 AND seq = $2`, id, seq)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fail.Errorf(fail.NotFound, "Not found: %d", seq)
	}
	return nil
}

// ByKey returns the active account named username that holds the key with
// the given fingerprint.
func (s *Service) ByKey(ctx context.Context, username, fingerprint string) (*Account, error) {
	var id int64
	var inactive bool
	err := s.db.QueryRow(ctx, `SELECT a.id, a.inactive FROM accounts a
		JOIN account_ssh_keys k ON k.account_id = a.id
		WHERE a.username = $1 AND k.fingerprint = $2`, username, fingerprint).Scan(&id, &inactive)
	if errors.Is(err, db.ErrNotFound) || (err == nil && inactive) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}
