package refupdate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"tandem/internal/git/gittest"
	"tandem/internal/git/refupdate"
)

func TestMain(m *testing.M) { gittest.Main(m) }

const zero = refupdate.ZeroOID

// setup returns a repository with two commits a and b, and refs/heads/main at a.
func setup(t *testing.T) (dir, a, b string) {
	t.Helper()
	dir = gittest.InitBare(t)
	a = gittest.WriteCommit(t, dir, "refs/heads/main", "a", map[string]string{"f": "a"})
	b = gittest.WriteCommit(t, dir, "", "b", map[string]string{"f": "b"}, a)
	return dir, a, b
}

func ref(t *testing.T, dir, name string) string {
	t.Helper()
	return gittest.Exec(t, dir, "for-each-ref", "--format=%(objectname)", name)
}

func TestApply(t *testing.T) {
	r := gittest.Runner(t)
	ctx := context.Background()
	dir, a, b := setup(t)

	steps := []struct {
		desc string
		u    refupdate.Update
		want string // value of u.Ref afterwards, "" = absent
	}{
		{"create", refupdate.Update{Ref: "refs/heads/dev", Old: zero, New: a}, a},
		{"update", refupdate.Update{Ref: "refs/heads/dev", Old: a, New: b}, b},
		{"update unchecked", refupdate.Update{Ref: "refs/heads/dev", New: a}, a},
		{"delete", refupdate.Update{Ref: "refs/heads/dev", Old: a, New: zero}, ""},
		{"delete absent", refupdate.Update{Ref: "refs/heads/dev", Old: zero, New: zero}, ""},
		{"create nested", refupdate.Update{Ref: "refs/changes/01/1/1", Old: zero, New: b}, b},
	}
	for _, s := range steps {
		t.Run(s.desc, func(t *testing.T) {
			if err := refupdate.Apply(ctx, r, dir, s.u); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got := ref(t, dir, s.u.Ref); got != s.want {
				t.Errorf("%s = %q, want %q", s.u.Ref, got, s.want)
			}
		})
	}
	if err := refupdate.Apply(ctx, r, dir); err != nil {
		t.Errorf("Apply with no updates = %v", err)
	}
}

func TestApplyErrors(t *testing.T) {
	r := gittest.Runner(t)
	ctx := context.Background()
	dir, a, b := setup(t)
	gittest.Exec(t, dir, "update-ref", "refs/heads/locked", a)
	if err := os.WriteFile(filepath.Join(dir, "refs", "heads", "locked.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	mismatch := func(err error) bool { var e *refupdate.MismatchError; return errors.As(err, &e) && e.Ref != "" }
	conflict := func(err error) bool { var e *refupdate.ConflictError; return errors.As(err, &e) }
	invalid := func(err error) bool { var e *refupdate.InvalidRefError; return errors.As(err, &e) }
	other := func(err error) bool { return err != nil && !mismatch(err) && !conflict(err) && !invalid(err) }

	tests := []struct {
		desc string
		u    refupdate.Update
		is   func(error) bool
	}{
		{"create existing", refupdate.Update{Ref: "refs/heads/main", Old: zero, New: b}, mismatch},
		{"wrong old", refupdate.Update{Ref: "refs/heads/main", Old: b, New: b}, mismatch},
		{"old for a missing ref", refupdate.Update{Ref: "refs/heads/nope", Old: a, New: b}, mismatch},
		{"delete with wrong old", refupdate.Update{Ref: "refs/heads/main", Old: b, New: zero}, mismatch},
		{"delete missing with old", refupdate.Update{Ref: "refs/heads/nope", Old: a, New: zero}, mismatch},
		{"locked", refupdate.Update{Ref: "refs/heads/locked", Old: a, New: b}, mismatch},
		{"directory over file", refupdate.Update{Ref: "refs/heads/main/x", Old: zero, New: b}, conflict},
		{"file over directory", refupdate.Update{Ref: "refs/heads", Old: zero, New: b}, conflict},
		{"bad ref name", refupdate.Update{Ref: "refs/heads/a..b", Old: zero, New: b}, invalid},
		{"space in name", refupdate.Update{Ref: "refs/heads/a b", Old: zero, New: b}, invalid},
		{"HEAD", refupdate.Update{Ref: "HEAD", New: b}, invalid},
		{"outside refs", refupdate.Update{Ref: "config", Old: zero, New: b}, invalid},
		{"NUL in name", refupdate.Update{Ref: "refs/heads/a\x00b", Old: zero, New: b}, invalid},
		{"revision as new", refupdate.Update{Ref: "refs/heads/x", Old: zero, New: "main"}, other},
		{"revision as old", refupdate.Update{Ref: "refs/heads/main", Old: "main", New: b}, other},
		{"missing object", refupdate.Update{Ref: "refs/heads/x", Old: zero, New: "1111111111111111111111111111111111111111"}, other},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := refupdate.Apply(ctx, r, dir, tt.u)
			if !tt.is(err) {
				t.Fatalf("Apply = %T %v", err, err)
			}
		})
	}
	if got := ref(t, dir, "refs/heads/main"); got != a {
		t.Errorf("main moved to %s", got)
	}

	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if err := refupdate.Apply(ctx2, r, dir, refupdate.Update{Ref: "refs/heads/x", Old: zero, New: a}); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a done context = %v", err)
	}
}

func TestApplyAtomic(t *testing.T) {
	r := gittest.Runner(t)
	dir, a, b := setup(t)
	err := refupdate.Apply(context.Background(), r, dir,
		refupdate.Update{Ref: "refs/heads/new1", Old: zero, New: a},
		refupdate.Update{Ref: "refs/heads/new2", Old: zero, New: b},
		refupdate.Update{Ref: "refs/heads/main", Old: b, New: a}, // wrong old
	)
	var me *refupdate.MismatchError
	if !errors.As(err, &me) || me.Ref != "refs/heads/main" {
		t.Fatalf("Apply = %v, want MismatchError on refs/heads/main", err)
	}
	for _, name := range []string{"refs/heads/new1", "refs/heads/new2"} {
		if got := ref(t, dir, name); got != "" {
			t.Errorf("%s = %s after a failed transaction", name, got)
		}
	}
	err = refupdate.Apply(context.Background(), r, dir,
		refupdate.Update{Ref: "refs/heads/new1", Old: zero, New: a},
		refupdate.Update{Ref: "refs/heads/main", Old: a, New: b},
		refupdate.Update{Ref: "refs/heads/main2", Old: zero, New: b},
	)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"refs/heads/new1": a, "refs/heads/main": b, "refs/heads/main2": b} {
		if got := ref(t, dir, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
