package account

import (
	"context"
	"errors"
	"time"

	"tandem/internal/db"
	"tandem/internal/fail"
)

// Kinds of group audit events, as Gerrit's GroupAuditEventInfo names them.
const (
	AuditAddUser     = "ADD_USER"
	AuditRemoveUser  = "REMOVE_USER"
	AuditAddGroup    = "ADD_GROUP"
	AuditRemoveGroup = "REMOVE_GROUP"
)

// AuditEvent is one entry of a group's audit log.
type AuditEvent struct {
	Type        string // an Audit* constant
	AccountID   int64  // the member, for AuditAddUser and AuditRemoveUser
	IncludeUUID string // the included group, for AuditAddGroup and AuditRemoveGroup
	By          int64  // the account that made the change
	When        time.Time
}

// GroupUpdate changes some properties of a group; nil fields stay.
type GroupUpdate struct {
	Name         *string
	Description  *string
	Owner        *string // group id in any form
	VisibleToAll *bool
}

// UpdateGroup applies u to group g and returns the group as it is now.
// A name already in use, by a stored or a system group, is a Conflict; an
// owner that does not resolve is Unprocessable. System groups cannot be
// changed.
func (s *Service) UpdateGroup(ctx context.Context, g *Group, u GroupUpdate) (*Group, error) {
	if g.System() {
		return nil, fail.Errorf(fail.NotAllowed, "group %s cannot be modified", g.Name)
	}
	var name string
	if u.Name != nil {
		if err := checkGroupName(*u.Name); err != nil {
			return nil, err
		}
		if *u.Name != g.Name && systemGroupName(*u.Name) {
			return nil, fail.Errorf(fail.Conflict, "group with name %s already exists", *u.Name)
		}
		name = *u.Name
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		if u.Name != nil {
			_, err := tx.Exec(ctx, `UPDATE groups SET name = $1 WHERE id = $2`, name, g.ID)
			if errors.Is(err, db.ErrConflict) {
				return fail.Errorf(fail.Conflict, "group with name %s already exists", name)
			}
			if err != nil {
				return err
			}
		}
		if u.Description != nil {
			if _, err := tx.Exec(ctx, `UPDATE groups SET description = $1 WHERE id = $2`, *u.Description, g.ID); err != nil {
				return err
			}
		}
		if u.Owner != nil {
			owner, err := s.resolveGroup(ctx, tx, *u.Owner)
			if err != nil {
				if fail.Is(err, fail.NotFound) {
					return fail.Errorf(fail.Unprocessable, "Group Not Found: %s", *u.Owner)
				}
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE groups SET owner_uuid = $1 WHERE id = $2`, owner.UUID, g.ID); err != nil {
				return err
			}
		}
		if u.VisibleToAll != nil {
			if _, err := tx.Exec(ctx, `UPDATE groups SET visible_to_all = $1 WHERE id = $2`, *u.VisibleToAll, g.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if u.Name != nil && name != g.Name {
		s.log.Info("group renamed", "uuid", g.UUID, "from", g.Name, "to", name)
	}
	return s.groupBy(ctx, s.db, `id = $1`, g.ID)
}

// AddMember puts an account into group g on behalf of account by; it
// reports whether the account was not a member before. Only a real change
// is written to the audit log.
func (s *Service) AddMember(ctx context.Context, g *Group, accountID, by int64) (bool, error) {
	if g.System() {
		return false, fail.Errorf(fail.Invalid, "group %s cannot have members", g.Name)
	}
	var added bool
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		added, err = s.addMember(ctx, tx, g, accountID, by)
		return err
	})
	return added, err
}

func (s *Service) addMember(ctx context.Context, tx *db.Tx, g *Group, accountID, by int64) (bool, error) {
	return s.changeMembership(ctx, tx, g, AuditAddUser,
		`INSERT INTO group_members (group_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, accountID, "", by)
}

// RemoveMember takes an account out of group g on behalf of account by;
// it reports whether the account was a member.
func (s *Service) RemoveMember(ctx context.Context, g *Group, accountID, by int64) (bool, error) {
	if g.System() {
		return false, fail.Errorf(fail.Invalid, "group %s cannot have members", g.Name)
	}
	var removed bool
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		removed, err = s.changeMembership(ctx, tx, g, AuditRemoveUser,
			`DELETE FROM group_members WHERE group_id = $1 AND account_id = $2`, accountID, "", by)
		return err
	})
	return removed, err
}

// AddInclude makes group g include the group with UUID include, on behalf
// of account by; it reports whether it was not included before.
func (s *Service) AddInclude(ctx context.Context, g *Group, include string, by int64) (bool, error) {
	if g.System() {
		return false, fail.Errorf(fail.Invalid, "group %s cannot include groups", g.Name)
	}
	var added bool
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		added, err = s.changeMembership(ctx, tx, g, AuditAddGroup,
			`INSERT INTO group_includes (group_id, include_uuid) VALUES ($1, $2) ON CONFLICT DO NOTHING`, 0, include, by)
		return err
	})
	return added, err
}

// RemoveInclude stops group g including the group with UUID include, on
// behalf of account by; it reports whether it was included.
func (s *Service) RemoveInclude(ctx context.Context, g *Group, include string, by int64) (bool, error) {
	if g.System() {
		return false, nil
	}
	var removed bool
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		removed, err = s.changeMembership(ctx, tx, g, AuditRemoveGroup,
			`DELETE FROM group_includes WHERE group_id = $1 AND include_uuid = $2`, 0, include, by)
		return err
	})
	return removed, err
}

// changeMembership runs stmt, which adds or removes the member (an
// account id or an included group's UUID, whichever the event type is
// about) and, when it changed a row, records the event.
func (s *Service) changeMembership(ctx context.Context, tx *db.Tx, g *Group, typ, stmt string, accountID int64, include string, by int64) (bool, error) {
	var member any = accountID
	var auditAccount, auditInclude any = accountID, nil
	if typ == AuditAddGroup || typ == AuditRemoveGroup {
		member, auditAccount, auditInclude = include, nil, include
	}
	res, err := tx.Exec(ctx, stmt, g.ID, member)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	id, err := s.db.NextID(ctx, tx, "group_audit_ids")
	if err != nil {
		return false, err
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	_, err = tx.Exec(ctx, `INSERT INTO group_audit (id, group_id, type, account_id, include_uuid, by_account, created_on)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, g.ID, typ, auditAccount, auditInclude, by, now.UnixMicro())
	return err == nil, err
}

// AuditLog returns the audit events of group g, newest first.
func (s *Service) AuditLog(ctx context.Context, g *Group) ([]AuditEvent, error) {
	if g.System() {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `SELECT type, account_id, include_uuid, by_account, created_on
		FROM group_audit WHERE group_id = $1 ORDER BY id DESC`, g.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var acct *int64
		var include *string
		var at int64
		if err := rows.Scan(&e.Type, &acct, &include, &e.By, &at); err != nil {
			return nil, err
		}
		if acct != nil {
			e.AccountID = *acct
		}
		if include != nil {
			e.IncludeUUID = *include
		}
		e.When = time.UnixMicro(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
