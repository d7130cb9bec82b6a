package access

import (
	"context"
	"errors"
	"testing"

	"tandem/internal/project"
)

// mapLoader serves configuration chains from memory, the way the project
// service serves them from refs/meta/config: the same *Config for an
// unchanged revision.
type mapLoader map[string][]*project.Config

var errNoProject = errors.New("no such project")

func (l mapLoader) Load(_ context.Context, name string) (*project.State, error) {
	chain, ok := l[name]
	if !ok {
		return nil, errNoProject
	}
	return &project.State{Name: name, Config: chain[0], Chain: chain}, nil
}

func TestControl(t *testing.T) {
	root := allProjects(t, "")
	child := parseConfig(t, "[access \"refs/heads/*\"]\n\tpush = group Devs\n")
	l := mapLoader{project.AllProjects: {root}, "p": {child, root}}
	ctl := NewControl(l)
	ctx := context.Background()

	chk, st, err := ctl.Check(ctx, "p", dev)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if st.Name != "p" || !chk.Can("refs/heads/main", "push") {
		t.Fatalf("Check = %v, state %+v", chk.Can("refs/heads/main", "push"), st)
	}
	p1, _, _ := ctl.Project(ctx, "p")
	p2, _, _ := ctl.Project(ctx, "p")
	if p1 != p2 {
		t.Fatalf("an unchanged chain was compiled twice")
	}

	// A new revision of the child's configuration is a new *Config.
	l["p"] = []*project.Config{parseConfig(t, ""), root}
	p3, _, _ := ctl.Project(ctx, "p")
	if p3 == p1 {
		t.Fatalf("a changed chain reused the old policy")
	}
	if p3.For(dev).Can("refs/heads/main", "push") {
		t.Fatalf("the old grant survived the change")
	}

	if _, _, err := ctl.Check(ctx, "missing", dev); !errors.Is(err, errNoProject) {
		t.Fatalf("Check(missing) error = %v, want the loader's", err)
	}

	caps, err := ctl.Capabilities(ctx, admin)
	if err != nil || !caps.Has("administrateServer") {
		t.Fatalf("Capabilities(admin) = %v, %v", caps.Names(), err)
	}
	if caps, _ := ctl.Capabilities(ctx, dev); caps.Has("administrateServer") {
		t.Fatalf("dev is an administrator")
	}
	if _, err := NewControl(mapLoader{}).Capabilities(ctx, admin); !errors.Is(err, errNoProject) {
		t.Fatalf("Capabilities without All-Projects: %v", err)
	}
}

func TestVisibilityWithChanges(t *testing.T) {
	c := NewProject("p", chain(t, "")).For(anon)
	branches := map[string]string{"refs/changes/01/1/1": "refs/heads/main", "refs/changes/02/2/1": "refs/meta/config",
		"refs/changes/04/4/1": "refs/heads/main"}
	visible := c.VisibilityWithChanges(func(ref string) (string, bool, bool) {
		b, ok := branches[ref]
		return b, ref == "refs/changes/04/4/1", ok
	})
	tests := []struct {
		desc, ref string
		want      bool
	}{
		{desc: "change on a readable branch", ref: "refs/changes/01/1/1", want: true},
		{desc: "change on an unreadable branch", ref: "refs/changes/02/2/1"},
		{desc: "unknown change", ref: "refs/changes/03/3/1"},
		{desc: "change private to others", ref: "refs/changes/04/4/1"},
		{desc: "branch", ref: "refs/heads/main", want: true},
		{desc: "config", ref: "refs/meta/config"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := visible(tc.ref); got != tc.want {
				t.Fatalf("visible(%q) = %v, want %v", tc.ref, got, tc.want)
			}
		})
	}
	if c.Visibility()("refs/changes/01/1/1") {
		t.Fatalf("plain Visibility shows change refs to anonymous users under the defaults")
	}
	qaSees := NewProject("p", chain(t, "", "[access \"refs/heads/*\"]\n\tviewPrivateChanges = group QA\n")).For(qaUser).
		VisibilityWithChanges(func(string) (string, bool, bool) { return "refs/heads/main", true, true })
	if !qaSees("refs/changes/04/4/1") {
		t.Fatalf("viewPrivateChanges does not show a change private to others")
	}
}
