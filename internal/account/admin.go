package account

import (
	"context"
	"strings"

	"tandem/internal/db"
	"tandem/internal/fail"
)

// SetActive activates or deactivates account id and reports whether that
// changed anything. An inactive account can neither sign in nor be added
// as reviewer; every master sees the change at its next request, as
// sign-in reads the flag from the database.
func (s *Service) SetActive(ctx context.Context, id int64, active bool) (bool, error) {
	res, err := s.db.Exec(ctx, `UPDATE accounts SET inactive = $1 WHERE id = $2 AND inactive = $3`, !active, id, active)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return true, nil
	}
	if _, err := s.Get(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}

// DeleteEmail removes one of the account's addresses; removing the
// preferred one leaves the account without a preferred address.
func (s *Service) DeleteEmail(ctx context.Context, id int64, email string) error {
	email = strings.TrimSpace(email)
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM account_emails WHERE account_id = $1 AND LOWER(email) = LOWER($2)`, id, email)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fail.Errorf(fail.NotFound, "Not found: %s", email)
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET preferred_email = NULL WHERE id = $1 AND LOWER(preferred_email) = LOWER($2)`, id, email)
		return err
	})
}
