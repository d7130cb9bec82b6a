package account_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"

	"tandem/internal/account"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// parseKey is the production key parser's contract: one authorized_keys
// line in, its normalized form and SHA256 fingerprint out.
func parseKey(text string) (string, string, error) {
	pub, comment, _, rest, err := ssh.ParseAuthorizedKey([]byte(text))
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(string(rest)) != "" {
		return "", "", fmt.Errorf("more than one key")
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment != "" {
		line += " " + comment
	}
	return line, ssh.FingerprintSHA256(pub), nil
}

// newKey returns a fresh public key in authorized_keys form and its fingerprint.
func newKey(t testing.TB, comment string) (string, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment, ssh.FingerprintSHA256(sp)
}

var epoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func newService(t testing.TB, d *db.DB, memo int) *account.Service {
	t.Helper()
	return account.New(account.Options{
		DB:        d,
		Clock:     clock.NewFake(epoch),
		Logger:    slog.New(slog.DiscardHandler),
		ParseKey:  parseKey,
		HashCost:  bcrypt.MinCost,
		MemoLimit: memo,
	})
}

func mustCreate(t testing.TB, s *account.Service, in account.Input) *account.Account {
	t.Helper()
	a, err := s.Create(context.Background(), in)
	if err != nil {
		t.Fatalf("Create(%q): %v", in.Username, err)
	}
	return a
}

func mustGroup(t testing.TB, s *account.Service, in account.GroupInput) *account.Group {
	t.Helper()
	g, err := s.CreateGroup(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateGroup(%q): %v", in.Name, err)
	}
	return g
}

// wantKind fails unless err is a domain error of kind k.
func wantKind(t testing.TB, err error, k fail.Kind, what string) {
	t.Helper()
	if err == nil || fail.KindOf(err) != k {
		t.Fatalf("%s: err = %v (kind %v), want kind %v", what, err, fail.KindOf(err), k)
	}
}

func TestCreateAndResolve(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 16)
		devs := mustGroup(t, s, account.GroupInput{Name: "devs"})
		key, fp := newKey(t, "alice@laptop")
		alice := mustCreate(t, s, account.Input{
			Username: "alice", FullName: "Alice Liddell", Email: "alice@example.com",
			SSHKeys: []string{key}, HTTPPassword: "alice-pw", Groups: []string{"devs"},
		})
		if alice.ID < 1000000 || alice.Username != "alice" || alice.FullName != "Alice Liddell" ||
			alice.PreferredEmail != "alice@example.com" || !slices.Equal(alice.Emails, []string{"alice@example.com"}) ||
			!alice.CreatedOn.Equal(epoch) {
			t.Fatalf("created account = %+v", alice)
		}
		bob := mustCreate(t, s, account.Input{Username: "bob"})
		if bob.ID <= alice.ID || bob.DisplayName() != "bob" {
			t.Fatalf("second account = %+v (alice %d)", bob, alice.ID)
		}
		if got, err := s.ByKey(ctx, "alice", fp); err != nil || got.ID != alice.ID {
			t.Fatalf("ByKey = %v, %v", got, err)
		}
		if got, err := s.CheckPassword(ctx, "alice", "alice-pw"); err != nil || got.ID != alice.ID {
			t.Fatalf("CheckPassword = %v, %v", got, err)
		}
		members, err := s.Members(ctx, devs)
		if err != nil || len(members) != 1 || members[0].ID != alice.ID {
			t.Fatalf("devs members = %v, %v", members, err)
		}

		for _, tc := range []struct {
			desc, id string
			want     int64 // 0: not found
		}{
			{"numeric id", fmt.Sprint(alice.ID), alice.ID},
			{"name and id", fmt.Sprintf("Somebody (%d)", bob.ID), bob.ID},
			{"name and email", "Alice L. <alice@example.com>", alice.ID},
			{"email", "alice@example.com", alice.ID},
			{"username", "bob", bob.ID},
			{"unique full name", "Alice Liddell", alice.ID},
			{"surrounding space", "  bob ", bob.ID},
			{"unknown username", "carol", 0},
			{"unknown email", "carol@example.com", 0},
			{"unknown numeric id", "42", 0},
			{"unknown id in parentheses", "Alice (42)", 0},
			{"empty", "", 0},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				got, err := s.Resolve(ctx, tc.id)
				if tc.want == 0 {
					wantKind(t, err, fail.NotFound, "Resolve("+tc.id+")")
					return
				}
				if err != nil || got.ID != tc.want {
					t.Fatalf("Resolve(%q) = %v, %v; want account %d", tc.id, got, err, tc.want)
				}
			})
		}

		for _, tc := range []struct {
			desc string
			in   account.Input
			kind fail.Kind
			msg  string
		}{
			{"duplicate username", account.Input{Username: "alice"}, fail.Conflict, "username 'alice' already exists"},
			{"duplicate email", account.Input{Username: "alice2", Email: "alice@example.com"}, fail.Conflict, "email 'alice@example.com' already exists"},
			{"bad username", account.Input{Username: "-x"}, fail.Invalid, "Invalid username '-x'"},
			{"username with space", account.Input{Username: "a b"}, fail.Invalid, "Invalid username 'a b'"},
			{"bad email", account.Input{Username: "carol", Email: "carol"}, fail.Invalid, "invalid email address"},
			{"bad key", account.Input{Username: "carol", SSHKeys: []string{"ssh-ed25519 AAAAnot"}}, fail.Invalid, "Invalid SSH Key"},
			{"unknown group", account.Input{Username: "carol", Groups: []string{"nope"}}, fail.Unprocessable, "Group Not Found: nope"},
			{"system group", account.Input{Username: "carol", Groups: []string{account.RegisteredUsers}}, fail.Unprocessable, "External Group Not Allowed: global:Registered-Users"},
			{"long password", account.Input{Username: "carol", HTTPPassword: strings.Repeat("x", 73)}, fail.Invalid, ""},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				_, err := s.Create(ctx, tc.in)
				wantKind(t, err, tc.kind, "Create")
				if tc.msg != "" && fail.Message(err, "") != tc.msg {
					t.Errorf("message = %q, want %q", fail.Message(err, ""), tc.msg)
				}
			})
		}
		// Every failed create left nothing behind.
		if n, err := s.Count(ctx); err != nil || n != 2 {
			t.Fatalf("Count = %d, %v; want 2", n, err)
		}
		if _, err := s.ByUsername(ctx, "alice2"); !fail.Is(err, fail.NotFound) {
			t.Fatalf("alice2 exists after a failed create: %v", err)
		}
		all, err := s.List(ctx)
		if err != nil || len(all) != 2 || all[0].ID != alice.ID || all[1].ID != bob.ID {
			t.Fatalf("List = %v, %v", all, err)
		}
	})
}

func TestUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 0)
		alice := mustCreate(t, s, account.Input{Username: "alice", Email: "alice@example.com"})
		mustCreate(t, s, account.Input{Username: "bob", Email: "bob@example.com"})
		name, email := "Alice A.", "alice@work.example"
		if err := s.Update(ctx, alice.ID, &name, &email); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, alice.ID)
		if err != nil || got.FullName != name || got.PreferredEmail != email ||
			!slices.Equal(got.Emails, []string{"alice@example.com", "alice@work.example"}) {
			t.Fatalf("after Update: %+v, %v", got, err)
		}
		// Re-adding one's own email only makes it preferred again.
		old := "alice@example.com"
		if err := s.Update(ctx, alice.ID, nil, &old); err != nil {
			t.Fatal(err)
		}
		taken := "bob@example.com"
		wantKind(t, s.Update(ctx, alice.ID, nil, &taken), fail.Conflict, "Update to bob's email")
		bad := "nope"
		wantKind(t, s.Update(ctx, alice.ID, nil, &bad), fail.Invalid, "Update to a bad email")
		if got, _ := s.Get(ctx, alice.ID); got.PreferredEmail != old || got.FullName != name {
			t.Fatalf("after failed updates: %+v", got)
		}
	})
}

func TestPasswords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, memo := range []int{0, 1, 64} {
			t.Run(fmt.Sprintf("memo=%d", memo), func(t *testing.T) {
				ctx := context.Background()
				s := newService(t, d, memo)
				user := fmt.Sprintf("user%d", memo)
				a := mustCreate(t, s, account.Input{Username: user, HTTPPassword: "first"})
				other := mustCreate(t, s, account.Input{Username: user + "x", HTTPPassword: "other"})
				check := func(name, pw string, want int64) {
					t.Helper()
					for range 2 { // the second round is answered from the memo
						got, err := s.CheckPassword(ctx, name, pw)
						if want == 0 {
							if err != account.ErrBadCredentials {
								t.Fatalf("CheckPassword(%q, %q) = %v, %v; want ErrBadCredentials", name, pw, got, err)
							}
							continue
						}
						if err != nil || got.ID != want {
							t.Fatalf("CheckPassword(%q, %q) = %v, %v; want account %d", name, pw, got, err, want)
						}
					}
				}
				check(user, "first", a.ID)
				check(user+"x", "other", other.ID)
				check(user, "wrong", 0)
				check(user, "", 0)
				check("", "first", 0)
				check("nobody", "first", 0)

				pw := account.GeneratePassword()
				if len(pw) < 32 || pw == account.GeneratePassword() {
					t.Fatalf("GeneratePassword = %q", pw)
				}
				if err := s.SetHTTPPassword(ctx, a.ID, pw); err != nil {
					t.Fatal(err)
				}
				check(user, "first", 0) // the remembered old password is forgotten
				check(user, pw, a.ID)
				check(user+"x", "other", other.ID)

				if err := s.SetHTTPPassword(ctx, a.ID, ""); err != nil {
					t.Fatal(err)
				}
				check(user, pw, 0)
				check(user, "", 0)
				wantKind(t, s.SetHTTPPassword(ctx, 12345, "x"), fail.NotFound, "SetHTTPPassword of a missing account")
				wantKind(t, s.SetHTTPPassword(ctx, a.ID, strings.Repeat("y", 73)), fail.Invalid, "SetHTTPPassword too long")
			})
		}
	})
}

func TestSSHKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 0)
		alice := mustCreate(t, s, account.Input{Username: "alice"})
		bob := mustCreate(t, s, account.Input{Username: "bob"})
		k1, fp1 := newKey(t, "one")
		k2, fp2 := newKey(t, "two")

		got1, err := s.AddSSHKey(ctx, alice.ID, "  "+k1+"\n")
		if err != nil || got1.Seq != 1 || got1.Line != k1 || got1.Fingerprint != fp1 ||
			got1.Algorithm() != "ssh-ed25519" || got1.Comment() != "one" || !strings.HasPrefix(k1, "ssh-ed25519 "+got1.EncodedKey()) {
			t.Fatalf("AddSSHKey = %+v, %v", got1, err)
		}
		if again, err := s.AddSSHKey(ctx, alice.ID, k1); err != nil || again.Seq != 1 {
			t.Fatalf("adding the same key again = %+v, %v; want seq 1", again, err)
		}
		if got2, err := s.AddSSHKey(ctx, alice.ID, k2); err != nil || got2.Seq != 2 {
			t.Fatalf("second key = %+v, %v", got2, err)
		}
		for _, bad := range []string{"", "not a key", "ssh-ed25519 AAAA", k1 + "\n" + k2} {
			_, err := s.AddSSHKey(ctx, alice.ID, bad)
			wantKind(t, err, fail.Invalid, fmt.Sprintf("AddSSHKey(%q)", bad))
		}
		keys, err := s.SSHKeys(ctx, alice.ID)
		if err != nil || len(keys) != 2 || keys[0].Seq != 1 || keys[1].Seq != 2 {
			t.Fatalf("SSHKeys = %+v, %v", keys, err)
		}
		if got, err := s.ByKey(ctx, "alice", fp2); err != nil || got.ID != alice.ID {
			t.Fatalf("ByKey(alice, key 2) = %v, %v", got, err)
		}
		if _, err := s.ByKey(ctx, "bob", fp2); err != account.ErrBadCredentials {
			t.Fatalf("ByKey(bob, alice's key) = %v; want ErrBadCredentials", err)
		}

		if err := s.DeleteSSHKey(ctx, alice.ID, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ByKey(ctx, "alice", fp1); err != account.ErrBadCredentials {
			t.Fatalf("ByKey after delete = %v; want ErrBadCredentials", err)
		}
		wantKind(t, s.DeleteSSHKey(ctx, alice.ID, 1), fail.NotFound, "deleting key 1 twice")
		wantKind(t, s.DeleteSSHKey(ctx, bob.ID, 2), fail.NotFound, "deleting alice's key as bob")
		// The same key may belong to another account too; seqs are per account.
		if got, err := s.AddSSHKey(ctx, bob.ID, k1); err != nil || got.Seq != 1 {
			t.Fatalf("bob adds key 1 = %+v, %v", got, err)
		}
		if got, err := s.AddSSHKey(ctx, alice.ID, k1); err != nil || got.Seq != 3 {
			t.Fatalf("alice re-adds key 1 = %+v, %v; want seq 3", got, err)
		}
	})
}

var hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestGroups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 0)
		alice := mustCreate(t, s, account.Input{Username: "alice", FullName: "Alice"})
		bob := mustCreate(t, s, account.Input{Username: "bob"})
		carol := mustCreate(t, s, account.Input{Username: "carol"})

		admins := mustGroup(t, s, account.GroupInput{Name: account.Administrators, Description: "admins", Members: []int64{alice.ID}})
		devs := mustGroup(t, s, account.GroupInput{Name: "devs", Owner: account.Administrators, VisibleToAll: true})
		leads := mustGroup(t, s, account.GroupInput{Name: "leads", UUID: "0123456789abcdef0123456789abcdef01234567", Members: []int64{bob.ID, bob.ID}})
		if !hex40.MatchString(admins.UUID) || admins.OwnerUUID != admins.UUID || admins.ID != 1 ||
			admins.Description != "admins" || admins.VisibleToAll || !admins.CreatedOn.Equal(epoch) {
			t.Fatalf("Administrators = %+v", admins)
		}
		if devs.OwnerUUID != admins.UUID || !devs.VisibleToAll || devs.ID != 2 {
			t.Fatalf("devs = %+v", devs)
		}
		if leads.UUID != "0123456789abcdef0123456789abcdef01234567" {
			t.Fatalf("leads UUID = %q", leads.UUID)
		}
		if a, b := account.NewGroupUUID("x"), account.NewGroupUUID("x"); !hex40.MatchString(a) || a == b {
			t.Fatalf("NewGroupUUID = %q, %q", a, b)
		}

		for _, tc := range []struct {
			desc string
			in   account.GroupInput
			kind fail.Kind
		}{
			{"duplicate name", account.GroupInput{Name: "devs"}, fail.Conflict},
			{"system group name", account.GroupInput{Name: "registered users"}, fail.Conflict},
			{"empty name", account.GroupInput{Name: "  "}, fail.Invalid},
			{"newline in name", account.GroupInput{Name: "a\nb"}, fail.Invalid},
			{"unknown owner", account.GroupInput{Name: "x", Owner: "nope"}, fail.Unprocessable},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				_, err := s.CreateGroup(ctx, tc.in)
				wantKind(t, err, tc.kind, "CreateGroup")
			})
		}

		for _, tc := range []struct {
			desc, id, want string // want: UUID, "" for not found
		}{
			{"uuid", devs.UUID, devs.UUID},
			{"name", "devs", devs.UUID},
			{"numeric id", "1", admins.UUID},
			{"system uuid", account.AnonymousUsers, account.AnonymousUsers},
			{"system name", "Registered Users", account.RegisteredUsers},
			{"project owners", "Project Owners", account.ProjectOwners},
			{"change owner", account.ChangeOwner, account.ChangeOwner},
			{"unknown name", "nope", ""},
			{"unknown numeric id", "99", ""},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				g, err := s.ResolveGroup(ctx, tc.id)
				if tc.want == "" {
					wantKind(t, err, fail.NotFound, "ResolveGroup("+tc.id+")")
					if fail.Message(err, "") != "Group Not Found: "+tc.id {
						t.Errorf("message = %q", fail.Message(err, ""))
					}
					return
				}
				if err != nil || g.UUID != tc.want {
					t.Fatalf("ResolveGroup(%q) = %+v, %v; want %s", tc.id, g, err, tc.want)
				}
			})
		}

		names := func(gs []*account.Group) []string {
			var out []string
			for _, g := range gs {
				out = append(out, g.Name)
			}
			return out
		}
		stored, err := s.ListGroups(ctx, false)
		if err != nil || !slices.Equal(names(stored), []string{"Administrators", "devs", "leads"}) {
			t.Fatalf("ListGroups(false) = %v, %v", names(stored), err)
		}
		all, err := s.ListGroups(ctx, true)
		if err != nil || len(all) != 7 || !all[0].System() || all[6].System() {
			t.Fatalf("ListGroups(true) = %v, %v", names(all), err)
		}

		// Members: new, existing, removed; system groups refuse members.
		for _, tc := range []struct {
			desc    string
			g       *account.Group
			id      int64
			wantNew bool
		}{
			{"new member", devs, bob.ID, true},
			{"existing member", devs, bob.ID, false},
			{"second member", devs, carol.ID, true},
		} {
			added, err := s.AddMember(ctx, tc.g, tc.id, alice.ID)
			if err != nil || added != tc.wantNew {
				t.Fatalf("%s: AddMember = %v, %v; want %v", tc.desc, added, err, tc.wantNew)
			}
		}
		reg, _ := s.ResolveGroup(ctx, account.RegisteredUsers)
		if _, err := s.AddMember(ctx, reg, bob.ID, alice.ID); !fail.Is(err, fail.Invalid) {
			t.Fatalf("AddMember(Registered Users) = %v", err)
		}
		ids := func(as []*account.Account, err error) []int64 {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		if got := ids(s.Members(ctx, devs)); !slices.Equal(got, []int64{bob.ID, carol.ID}) {
			t.Fatalf("devs members = %v", got)
		}
		if got := ids(s.Members(ctx, leads)); !slices.Equal(got, []int64{bob.ID}) {
			t.Fatalf("leads members = %v", got)
		}
		if got := ids(s.Members(ctx, reg)); len(got) != 0 {
			t.Fatalf("Registered Users members = %v", got)
		}
		members, _ := s.Members(ctx, admins)
		if len(members) != 1 || members[0].Username != "alice" || members[0].FullName != "Alice" {
			t.Fatalf("Administrators members = %+v", members)
		}

		// Includes: admins ⊃ leads ⊃ devs makes devs' members members of all three.
		if _, err := s.AddInclude(ctx, admins, leads.UUID, alice.ID); err != nil {
			t.Fatal(err)
		}
		if added, err := s.AddInclude(ctx, leads, devs.UUID, alice.ID); err != nil || !added {
			t.Fatalf("including = %v, %v", added, err)
		}
		if added, err := s.AddInclude(ctx, leads, devs.UUID, alice.ID); err != nil || added {
			t.Fatalf("including twice = %v, %v", added, err)
		}
		if inc, err := s.Includes(ctx, leads); err != nil || !slices.Equal(inc, []string{devs.UUID}) {
			t.Fatalf("Includes(leads) = %v, %v", inc, err)
		}
		if got := ids(s.MembersRecursive(ctx, admins)); !slices.Equal(got, []int64{alice.ID, bob.ID, carol.ID}) {
			t.Fatalf("recursive Administrators members = %v", got)
		}
		groupsOf := func(id int64) map[string]bool {
			t.Helper()
			gs, err := s.GroupsOf(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return gs
		}
		if gs := groupsOf(carol.ID); !gs[account.AnonymousUsers] || !gs[account.RegisteredUsers] ||
			!gs[devs.UUID] || !gs[leads.UUID] || !gs[admins.UUID] || len(gs) != 5 {
			t.Fatalf("GroupsOf(carol) = %v", gs)
		}
		if gs := groupsOf(0); len(gs) != 1 || !gs[account.AnonymousUsers] {
			t.Fatalf("GroupsOf(anonymous) = %v", gs)
		}
		if !account.OwnsGroup(groupsOf(alice.ID), devs) || account.OwnsGroup(groupsOf(alice.ID), reg) {
			t.Fatal("alice, an administrator, should own devs and not Registered Users")
		}

		// Removal takes effect for the next lookup.
		if _, err := s.RemoveInclude(ctx, leads, devs.UUID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if removed, err := s.RemoveMember(ctx, devs, carol.ID, bob.ID); err != nil || !removed {
			t.Fatalf("removing a member = %v, %v", removed, err)
		}
		if removed, err := s.RemoveMember(ctx, devs, carol.ID, bob.ID); err != nil || removed {
			t.Fatalf("removing a non-member = %v, %v", removed, err)
		}
		if gs := groupsOf(carol.ID); len(gs) != 2 {
			t.Fatalf("GroupsOf(carol) after removal = %v", gs)
		}
		if gs := groupsOf(alice.ID); !gs[admins.UUID] || gs[devs.UUID] {
			t.Fatalf("GroupsOf(alice) = %v", gs)
		}
		if got := ids(s.Members(ctx, devs)); !slices.Equal(got, []int64{bob.ID}) {
			t.Fatalf("devs members after removal = %v", got)
		}

		// The audit log has each real change, newest first, with who
		// made it; no-op additions and removals are not in it.
		type event struct {
			typ     string
			account int64
			include string
			by      int64
		}
		audit := func(g *account.Group) []event {
			t.Helper()
			log, err := s.AuditLog(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			var out []event
			for _, e := range log {
				if e.When.IsZero() {
					t.Fatalf("audit event %+v has no time", e)
				}
				out = append(out, event{e.Type, e.AccountID, e.IncludeUUID, e.By})
			}
			return out
		}
		if got, want := audit(devs), []event{
			{account.AuditRemoveUser, carol.ID, "", bob.ID},
			{account.AuditAddUser, carol.ID, "", alice.ID},
			{account.AuditAddUser, bob.ID, "", alice.ID},
		}; !slices.Equal(got, want) {
			t.Fatalf("devs audit log = %+v, want %+v", got, want)
		}
		if got, want := audit(leads), []event{
			{account.AuditRemoveGroup, 0, devs.UUID, bob.ID},
			{account.AuditAddGroup, 0, devs.UUID, alice.ID},
			{account.AuditAddUser, bob.ID, "", bob.ID},
		}; !slices.Equal(got, want) {
			t.Fatalf("leads audit log = %+v, want %+v", got, want)
		}

		// Renames keep the UUID; a taken name, stored or system, is a
		// conflict; system groups cannot change.
		newName, desc, visible := "developers", "the developers", true
		renamed, err := s.UpdateGroup(ctx, devs, account.GroupUpdate{Name: &newName, Description: &desc, VisibleToAll: &visible, Owner: &admins.Name})
		if err != nil || renamed.UUID != devs.UUID || renamed.Name != newName || renamed.Description != desc ||
			!renamed.VisibleToAll || renamed.OwnerUUID != admins.UUID {
			t.Fatalf("UpdateGroup = %+v, %v", renamed, err)
		}
		if g, err := s.ResolveGroup(ctx, newName); err != nil || g.UUID != devs.UUID {
			t.Fatalf("ResolveGroup(new name) = %+v, %v", g, err)
		}
		if _, err := s.ResolveGroup(ctx, "devs"); !fail.Is(err, fail.NotFound) {
			t.Fatalf("ResolveGroup(old name) = %v, want NotFound", err)
		}
		for _, taken := range []string{"leads", "Registered Users"} {
			if _, err := s.UpdateGroup(ctx, renamed, account.GroupUpdate{Name: &taken}); !fail.Is(err, fail.Conflict) {
				t.Fatalf("rename to %q = %v, want Conflict", taken, err)
			}
		}
		missing := "no such group"
		if _, err := s.UpdateGroup(ctx, renamed, account.GroupUpdate{Owner: &missing}); !fail.Is(err, fail.Unprocessable) {
			t.Fatalf("unknown owner = %v, want Unprocessable", err)
		}
		if _, err := s.UpdateGroup(ctx, reg, account.GroupUpdate{Name: &missing}); !fail.Is(err, fail.NotAllowed) {
			t.Fatalf("renaming Registered Users = %v, want NotAllowed", err)
		}
		if g, _ := s.ResolveGroup(ctx, renamed.UUID); g.Name != newName {
			t.Fatalf("failed updates changed the group: %+v", g)
		}
	})
}

func TestSystemGroups(t *testing.T) {
	want := map[string]string{
		account.AnonymousUsers:  "Anonymous Users",
		account.RegisteredUsers: "Registered Users",
		account.ProjectOwners:   "Project Owners",
		account.ChangeOwner:     "Change Owner",
	}
	gs := account.SystemGroups()
	if len(gs) != len(want) {
		t.Fatalf("SystemGroups = %d groups, want %d", len(gs), len(want))
	}
	for _, g := range gs {
		if want[g.UUID] != g.Name || !g.System() || g.ID != 0 {
			t.Errorf("system group %+v", g)
		}
	}
	gs[0].Name = "changed"
	if account.SystemGroups()[0].Name == "changed" {
		t.Error("SystemGroups returns shared values")
	}
	for _, tc := range []struct {
		desc string
		name string
		ok   bool
	}{
		{"simple", "alice", true},
		{"dots and at", "a.b@c-d_e", true},
		{"digit first", "1abc", true},
		{"leading dash", "-abc", false},
		{"space", "a b", false},
		{"empty", "", false},
		{"slash", "a/b", false},
		{"too long", strings.Repeat("a", 256), false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := account.ValidUsername(tc.name); got != tc.ok {
				t.Errorf("ValidUsername(%q) = %v, want %v", tc.name, got, tc.ok)
			}
		})
	}
}

// TestWatches stores, replaces and deletes project watches, one account's
// apart from another's.
func TestWatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 0)
		alice := mustCreate(t, s, account.Input{Username: "alice"})
		bob := mustCreate(t, s, account.Input{Username: "bob"})
		if err := s.SetWatches(ctx, alice.ID, []account.Watch{{Project: " tools ", Filter: "*", NewChanges: true},
			{Project: "core", Filter: "branch:main", AllComments: true}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetWatches(ctx, bob.ID, []account.Watch{{Project: "core"}}); err != nil {
			t.Fatal(err)
		}
		// The same project and filter again replaces the flags.
		if err := s.SetWatches(ctx, alice.ID, []account.Watch{{Project: "tools", SubmittedChanges: true}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Watches(ctx, alice.ID)
		want := []account.Watch{{Project: "core", Filter: "branch:main", AllComments: true}, {Project: "tools", SubmittedChanges: true}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Watches = %+v, %v; want %+v", got, err, want)
		}
		if err := s.SetWatches(ctx, alice.ID, []account.Watch{{Project: " "}}); !fail.Is(err, fail.Invalid) {
			t.Fatalf("a watch without project: %v", err)
		}
		if err := s.DeleteWatches(ctx, alice.ID, []account.Watch{{Project: "core", Filter: "branch:main"}, {Project: "gone"}}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Watches(ctx, alice.ID); err != nil || len(got) != 1 || got[0].Project != "tools" {
			t.Fatalf("after delete: %+v, %v", got, err)
		}
		if got, err := s.Watches(ctx, bob.ID); err != nil || len(got) != 1 || got[0].Project != "core" {
			t.Fatalf("bob's watches: %+v, %v", got, err)
		}
	})
}

// TestPreferences fills in Gerrit's defaults, keeps what an account sets
// across updates that name other fields, and refuses unknown values.
func TestPreferences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 0)
		alice := mustCreate(t, s, account.Input{Username: "alice"})
		p, err := s.Preferences(ctx, alice.ID)
		if err != nil || *p.ChangesPerPage != 25 || *p.DateFormat != "STD" || p.WorkInProgressByDefault != nil || len(p.My) != 6 {
			t.Fatalf("defaults: %+v, %v", p, err)
		}
		fifty, yes := 50, true
		if _, err := s.SetPreferences(ctx, alice.ID, account.Preferences{ChangesPerPage: &fifty}); err != nil {
			t.Fatal(err)
		}
		p, err = s.SetPreferences(ctx, alice.ID, account.Preferences{WorkInProgressByDefault: &yes, My: []account.MenuItem{}})
		if err != nil || *p.ChangesPerPage != 50 || !*p.WorkInProgressByDefault || len(p.My) != 0 || *p.TimeFormat != "HHMM_12" {
			t.Fatalf("after two updates: %+v, %v", p, err)
		}
		if again, err := s.Preferences(ctx, alice.ID); err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("read back %+v, %v; want %+v", again, err, p)
		}
		bad := "PURPLE"
		if _, err := s.SetPreferences(ctx, alice.ID, account.Preferences{Theme: &bad}); !fail.Is(err, fail.Invalid) {
			t.Fatalf("theme PURPLE: %v", err)
		}
		zero := 0
		if _, err := s.SetPreferences(ctx, alice.ID, account.Preferences{ChangesPerPage: &zero}); !fail.Is(err, fail.Invalid) {
			t.Fatalf("changes_per_page 0: %v", err)
		}
	})
}

// TestActiveAndEmails deactivates and reactivates an account and adds and
// deletes its addresses.
func TestActiveAndEmails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 0)
		alice := mustCreate(t, s, account.Input{Username: "alice", Email: "alice@example.com"})
		bob := mustCreate(t, s, account.Input{Username: "bob", Email: "bob@example.com"})
		for i, want := range []bool{true, false} {
			if changed, err := s.SetActive(ctx, alice.ID, false); err != nil || changed != want {
				t.Fatalf("deactivation %d: %v, %v", i, changed, err)
			}
		}
		if a, err := s.Get(ctx, alice.ID); err != nil || !a.Inactive {
			t.Fatalf("alice after deactivation: %+v, %v", a, err)
		}
		if changed, err := s.SetActive(ctx, alice.ID, true); err != nil || !changed {
			t.Fatalf("activation: %v, %v", changed, err)
		}
		if _, err := s.SetActive(ctx, 999, true); !fail.Is(err, fail.NotFound) {
			t.Fatalf("an unknown account: %v", err)
		}
		if err := s.AddEmail(ctx, alice.ID, "a2@example.com", false); err != nil {
			t.Fatal(err)
		}
		if err := s.AddEmail(ctx, alice.ID, "bob@example.com", false); !fail.Is(err, fail.Conflict) {
			t.Fatalf("bob's address for alice: %v", err)
		}
		if err := s.DeleteEmail(ctx, alice.ID, "ALICE@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteEmail(ctx, alice.ID, "bob@example.com"); !fail.Is(err, fail.NotFound) {
			t.Fatalf("deleting bob's address from alice: %v", err)
		}
		a, err := s.Get(ctx, alice.ID)
		if err != nil || a.PreferredEmail != "" || !slices.Equal(a.Emails, []string{"a2@example.com"}) {
			t.Fatalf("alice's addresses: %+v, %v", a, err)
		}
		if b, err := s.Get(ctx, bob.ID); err != nil || b.PreferredEmail != "bob@example.com" {
			t.Fatalf("bob: %+v, %v", b, err)
		}
	})
}

func TestServiceUsers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, 0)
		bot := mustCreate(t, s, account.Input{Username: "bot"})
		ci := mustCreate(t, s, account.Input{Username: "ci"})
		human := mustCreate(t, s, account.Input{Username: "human"})
		if got, err := s.ServiceUsers(ctx, []int64{bot.ID}); err != nil || len(got) != 0 {
			t.Fatalf("without the group: %v, %v", got, err)
		}
		robots := mustGroup(t, s, account.GroupInput{Name: "robots", Members: []int64{ci.ID}})
		svc := mustGroup(t, s, account.GroupInput{Name: account.ServiceUsers, Members: []int64{bot.ID}})
		if _, err := s.AddInclude(ctx, svc, robots.UUID, bot.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.ServiceUsers(ctx, []int64{bot.ID, ci.ID, human.ID, 0})
		if err != nil || !got[bot.ID] || !got[ci.ID] || got[human.ID] || len(got) != 3 {
			t.Fatalf("ServiceUsers = %v, %v; want bot and ci (through robots), not human", got, err)
		}
		if _, err := s.AddInclude(ctx, robots, account.RegisteredUsers, bot.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ServiceUsers(ctx, []int64{human.ID}); err != nil || !got[human.ID] {
			t.Fatalf("with Registered Users included: %v, %v", got, err)
		}
	})
}
