package account

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"tandem/internal/db"
	"tandem/internal/fail"
)

// System group UUIDs; their membership is computed, never stored.
const (
	AnonymousUsers  = "global:Anonymous-Users"
	RegisteredUsers = "global:Registered-Users"
	ProjectOwners   = "global:Project-Owners"
	ChangeOwner     = "global:Change-Owner"
)

// Names of the groups created at init.
const (
	Administrators = "Administrators"
	ServiceUsers   = "Service Users"
	BlockedUsers   = "Blocked Users"
)

var systemGroups = []*Group{
	{UUID: AnonymousUsers, Name: "Anonymous Users", Description: "Any user, signed-in or not", VisibleToAll: true},
	{UUID: RegisteredUsers, Name: "Registered Users", Description: "Any signed-in user", VisibleToAll: true},
	{UUID: ProjectOwners, Name: "Project Owners", Description: "Any owner of the project", VisibleToAll: true},
	{UUID: ChangeOwner, Name: "Change Owner", Description: "The owner of a change", VisibleToAll: true},
}

// Group is a named set of accounts and included groups.
type Group struct {
	ID           int64 // legacy numeric id; 0 for system groups
	UUID         string
	Name         string
	Description  string
	OwnerUUID    string
	VisibleToAll bool
	CreatedOn    time.Time
}

// System reports whether g is a system group with computed membership.
func (g *Group) System() bool { return strings.HasPrefix(g.UUID, "global:") }

// SystemGroups returns the system groups.
func SystemGroups() []*Group {
	out := make([]*Group, len(systemGroups))
	for i, g := range systemGroups {
		c := *g
		out[i] = &c
	}
	return out
}

// NewGroupUUID returns a fresh 40-hex internal group UUID.
func NewGroupUUID(name string) string {
	var salt [20]byte
	if _, err := rand.Read(salt[:]); err != nil {
		panic(err)
	}
	h := sha1.Sum(append(salt[:], name...))
	return hex.EncodeToString(h[:])
}

// GroupInput describes a new group.
type GroupInput struct {
	Name         string
	UUID         string // optional; generated when empty
	Description  string
	Owner        string // group id in any form; empty = the group owns itself
	VisibleToAll bool
	Members      []int64
	By           int64 // the creating account, recorded in the audit log
}

// checkGroupName refuses names that cannot be written on one line of a
// groups file.
func checkGroupName(name string) error {
	if name == "" || strings.ContainsAny(name, "\n\r\t\x00") || len(name) > 255 {
		return fail.Errorf(fail.Invalid, "invalid group name")
	}
	return nil
}

// systemGroupName reports whether name is taken by a system group.
func systemGroupName(name string) bool {
	for _, g := range systemGroups {
		if strings.EqualFold(g.Name, name) {
			return true
		}
	}
	return false
}

// CreateGroup makes a group. Creating a group whose name exists is a Conflict.
func (s *Service) CreateGroup(ctx context.Context, in GroupInput) (*Group, error) {
	name := strings.TrimSpace(in.Name)
	if err := checkGroupName(name); err != nil {
		return nil, err
	}
	if systemGroupName(name) {
		return nil, fail.Errorf(fail.Conflict, "group '%s' already exists", name)
	}
	uuid := in.UUID
	if uuid == "" {
		uuid = NewGroupUUID(name)
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	var id int64
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		owner := uuid
		if in.Owner != "" {
			og, err := s.resolveGroup(ctx, tx, in.Owner)
			if err != nil {
				return fail.Errorf(fail.Unprocessable, "Group Not Found: %s", in.Owner)
			}
			owner = og.UUID
		}
		var err error
		id, err = s.db.NextID(ctx, tx, "group_ids")
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO groups (id, uuid, name, description, owner_uuid, visible_to_all, created_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, uuid, name, in.Description, owner, in.VisibleToAll, now.UnixMicro())
		if errors.Is(err, db.ErrConflict) {
			return fail.Errorf(fail.Conflict, "group '%s' already exists", name)
		}
		if err != nil {
			return err
		}
		g := &Group{ID: id, UUID: uuid, Name: name}
		for _, m := range in.Members {
			by := in.By
			if by == 0 {
				by = m
			}
			if _, err := s.addMember(ctx, tx, g, m, by); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("group created", "group", name, "uuid", uuid)
	return s.groupBy(ctx, s.db, `id = $1`, id)
}

const groupColumns = `id, uuid, name, description, owner_uuid, visible_to_all, created_on`

func scanGroup(scan func(...any) error) (*Group, error) {
	var g Group
	var created int64
	if err := scan(&g.ID, &g.UUID, &g.Name, &g.Description, &g.OwnerUUID, &g.VisibleToAll, &created); err != nil {
		return nil, err
	}
	g.CreatedOn = time.UnixMicro(created).UTC()
	return &g, nil
}

func (s *Service) groupBy(ctx context.Context, q db.Querier, where string, arg any) (*Group, error) {
	g, err := scanGroup(q.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups WHERE `+where, arg).Scan)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fail.Errorf(fail.NotFound, "Group Not Found: %v", arg)
	}
	return g, err
}

// ResolveGroup finds a group by UUID, legacy numeric id or name, including
// the system groups.
func (s *Service) ResolveGroup(ctx context.Context, id string) (*Group, error) {
	return s.resolveGroup(ctx, s.db, id)
}

func (s *Service) resolveGroup(ctx context.Context, q db.Querier, id string) (*Group, error) {
	for _, g := range systemGroups {
		if id == g.UUID || id == g.Name {
			c := *g
			return &c, nil
		}
	}
	if g, err := s.groupBy(ctx, q, `uuid = $1`, id); err == nil || !fail.Is(err, fail.NotFound) {
		return g, err
	}
	if numericID.MatchString(id) {
		var n int64
		fmt.Sscan(id, &n)
		if g, err := s.groupBy(ctx, q, `id = $1`, n); err == nil || !fail.Is(err, fail.NotFound) {
			return g, err
		}
	}
	g, err := s.groupBy(ctx, q, `name = $1`, id)
	if fail.Is(err, fail.NotFound) {
		return nil, fail.Errorf(fail.NotFound, "Group Not Found: %s", id)
	}
	return g, err
}

// ListGroups returns every stored group ordered by name, after the system
// groups when withSystem is set.
func (s *Service) ListGroups(ctx context.Context, withSystem bool) ([]*Group, error) {
	var out []*Group
	if withSystem {
		out = SystemGroups()
	}
	rows, err := s.db.Query(ctx, `SELECT `+groupColumns+` FROM groups ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		g, err := scanGroup(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Members returns the accounts directly in group g, ordered by id.
func (s *Service) Members(ctx context.Context, g *Group) ([]*Account, error) {
	if g.System() {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+accountColumnsOf("a")+` FROM accounts a
		JOIN group_members m ON m.account_id = a.id WHERE m.group_id = $1 ORDER BY a.id`, g.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Account
	for rows.Next() {
		a, err := scanAccount(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// MembersRecursive returns the accounts in g and in every group it includes.
func (s *Service) MembersRecursive(ctx context.Context, g *Group) ([]*Account, error) {
	if g.System() {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `WITH RECURSIVE inc(id) AS (
			SELECT CAST($1 AS BIGINT)
			UNION
			SELECT gr.id FROM group_includes i JOIN inc ON i.group_id = inc.id JOIN groups gr ON gr.uuid = i.include_uuid
		)
		SELECT DISTINCT `+accountColumnsOf("a")+` FROM accounts a
		JOIN group_members m ON m.account_id = a.id JOIN inc ON m.group_id = inc.id ORDER BY a.id`, g.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Account
	for rows.Next() {
		a, err := scanAccount(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Includes returns the UUIDs of the groups g includes.
func (s *Service) Includes(ctx context.Context, g *Group) ([]string, error) {
	if g.System() {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `SELECT include_uuid FROM group_includes WHERE group_id = $1 ORDER BY include_uuid`, g.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// GroupsOf returns the UUIDs of every group the account belongs to, directly
// or through included groups, plus the system groups that apply: Anonymous
// Users always, Registered Users for a signed-in account (id > 0).
func (s *Service) GroupsOf(ctx context.Context, accountID int64) (map[string]bool, error) {
	set := map[string]bool{AnonymousUsers: true}
	if accountID <= 0 {
		return set, nil
	}
	set[RegisteredUsers] = true
	rows, err := s.db.Query(ctx, `WITH RECURSIVE mine(uuid) AS (
			SELECT g.uuid FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.account_id = $1
			UNION SELECT 'global:Anonymous-Users'
			UNION SELECT 'global:Registered-Users'
			UNION
			SELECT g.uuid FROM group_includes i JOIN mine ON i.include_uuid = mine.uuid JOIN groups g ON g.id = i.group_id
		)
		SELECT uuid FROM mine`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		set[u] = true
	}
	return set, rows.Err()
}

// ServiceUsers returns which of the accounts belong to Service Users,
// directly or through included groups: bots, which Gerrit's attention set
// rules leave out. Without that group nobody is one.
func (s *Service) ServiceUsers(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	g, err := s.ResolveGroup(ctx, ServiceUsers)
	if fail.Is(err, fail.NotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	// One walk over the group and those it includes, transitively, with
	// their direct members (none for a system group).
	rows, err := s.db.Query(ctx, `WITH RECURSIVE inc(uuid) AS (
			SELECT CAST($1 AS TEXT)
			UNION
			SELECT i.include_uuid FROM group_includes i JOIN groups gr ON gr.id = i.group_id JOIN inc ON gr.uuid = inc.uuid
		)
		SELECT inc.uuid, m.account_id FROM inc
		LEFT JOIN groups gr ON gr.uuid = inc.uuid LEFT JOIN group_members m ON m.group_id = gr.id`, g.UUID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	members := map[int64]bool{}
	everybody := false // Registered or Anonymous Users are included
	for rows.Next() {
		var uuid string
		var member *int64
		if err := rows.Scan(&uuid, &member); err != nil {
			return nil, err
		}
		everybody = everybody || uuid == RegisteredUsers || uuid == AnonymousUsers
		if member != nil {
			members[*member] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id > 0 {
			out[id] = everybody || members[id]
		}
	}
	return out, nil
}

// OwnsGroup reports whether the holder of groups (from GroupsOf) owns g.
func OwnsGroup(groups map[string]bool, g *Group) bool {
	return !g.System() && groups[g.OwnerUUID]
}
