package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	Name         *string // trimmed; empty is refused
	Description  *string
	Owner        *string // group id in any form
	VisibleToAll *bool
	By           int64 // the account making the change
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
		name = strings.TrimSpace(*u.Name)
		if name == "" {
			return nil, fail.Errorf(fail.Invalid, "name is required")
		}
		if err := checkGroupName(name); err != nil {
			return nil, err
		}
		if name != g.Name && systemGroupName(name) {
			return nil, fail.Errorf(fail.Conflict, "group with name %s already exists", name)
		}
	}
	renamed := u.Name != nil && name != g.Name && s.renamed != nil
	var by *Account
	if renamed {
		// Looked up first: once the rename is stored, nothing may fail it.
		var err error
		if by, err = s.Get(ctx, u.By); err != nil {
			return nil, err
		}
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var sets []string
		var args []any
		set := func(column string, v any) {
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", column, len(args)))
		}
		if u.Name != nil {
			set("name", name)
		}
		if u.Description != nil {
			set("description", *u.Description)
		}
		if u.Owner != nil {
			owner, err := s.resolveGroup(ctx, tx, *u.Owner)
			if fail.Is(err, fail.NotFound) {
				return fail.Errorf(fail.Unprocessable, "Group Not Found: %s", *u.Owner)
			}
			if err != nil {
				return err
			}
			set("owner_uuid", owner.UUID)
		}
		if u.VisibleToAll != nil {
			set("visible_to_all", *u.VisibleToAll)
		}
		if len(sets) == 0 {
			return nil
		}
		args = append(args, g.ID)
		_, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE groups SET %s WHERE id = $%d`, strings.Join(sets, ", "), len(args)), args...)
		if errors.Is(err, db.ErrConflict) {
			return fail.Errorf(fail.Conflict, "group with name %s already exists", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if u.Name != nil && name != g.Name {
		s.log.Info("group renamed", "uuid", g.UUID, "from", g.Name, "to", name)
	}
	if renamed {
		// The projects naming the group follow whether or not the caller
		// waits for them.
		s.renamed(context.WithoutCancel(ctx), g.UUID, g.Name, name, by)
	}
	return s.groupBy(ctx, s.db, `id = $1`, g.ID)
}

// membershipStatements add or remove one member of a group ($1) — an
// account id or an included group's UUID ($2) — by audit event type.
var membershipStatements = map[string]string{
	AuditAddUser:     `INSERT INTO group_members (group_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
	AuditRemoveUser:  `DELETE FROM group_members WHERE group_id = $1 AND account_id = $2`,
	AuditAddGroup:    `INSERT INTO group_includes (group_id, include_uuid) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
	AuditRemoveGroup: `DELETE FROM group_includes WHERE group_id = $1 AND include_uuid = $2`,
}

// AddMember puts an account into group g on behalf of account by; it
// reports whether the account was not a member before. Only a real change
// is written to the audit log.
func (s *Service) AddMember(ctx context.Context, g *Group, accountID, by int64) (bool, error) {
	return s.editMembership(ctx, g, AuditAddUser, accountID, by)
}

// RemoveMember takes an account out of group g on behalf of account by;
// it reports whether the account was a member.
func (s *Service) RemoveMember(ctx context.Context, g *Group, accountID, by int64) (bool, error) {
	return s.editMembership(ctx, g, AuditRemoveUser, accountID, by)
}

// AddInclude makes group g include the group with UUID include, on behalf
// of account by; it reports whether it was not included before.
func (s *Service) AddInclude(ctx context.Context, g *Group, include string, by int64) (bool, error) {
	return s.editMembership(ctx, g, AuditAddGroup, include, by)
}

// RemoveInclude stops group g including the group with UUID include, on
// behalf of account by; it reports whether it was included.
func (s *Service) RemoveInclude(ctx context.Context, g *Group, include string, by int64) (bool, error) {
	return s.editMembership(ctx, g, AuditRemoveGroup, include, by)
}

// editMembership makes one membership change of the audit event type typ
// in a transaction of its own; system groups have no stored members.
func (s *Service) editMembership(ctx context.Context, g *Group, typ string, member any, by int64) (bool, error) {
	if g.System() {
		return false, fail.Errorf(fail.Invalid, "group %s cannot have members", g.Name)
	}
	var changed bool
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		changed, err = s.changeMembership(ctx, tx, g, typ, member, by)
		return err
	})
	return changed, err
}

// addMember is AddMember inside a transaction of the caller's.
func (s *Service) addMember(ctx context.Context, tx *db.Tx, g *Group, accountID, by int64) (bool, error) {
	return s.changeMembership(ctx, tx, g, AuditAddUser, accountID, by)
}

// changeMembership adds or removes member and, when that changed a row,
// records the event.
func (s *Service) changeMembership(ctx context.Context, tx *db.Tx, g *Group, typ string, member any, by int64) (bool, error) {
	res, err := tx.Exec(ctx, membershipStatements[typ], g.ID, member)
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
	var auditAccount, auditInclude any = member, nil
	if typ == AuditAddGroup || typ == AuditRemoveGroup {
		auditAccount, auditInclude = nil, member
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
