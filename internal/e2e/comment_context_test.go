package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommentContext lists comments with enable-context and
// context-padding, as review bots and UIs do to show the code a comment is
// about.
func TestCommentContext(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	expect(t, s.admin(t, "PUT", "/a/projects/ctx", map[string]any{"create_empty_commit": true}), 201, "create project")
	dir := filepath.Join(t.TempDir(), "w")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "ctx"), dir)
	var text strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&text, "line %d\n", i)
	}
	withChangeIDAs(t, s, dir, "main.go", text.String(), "Add main", changeID(991))
	out := s.mustGit(t, dir, "", "push", s.httpURL("alice", "alice-pw", "ctx"), "HEAD:refs/for/main")
	n := pushedChange(t, "ctx", out)
	expect(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/current/review", map[string]any{
		"comments": map[string]any{
			"main.go": []map[string]any{
				{"line": 5, "message": "on five"},
				{"range": map[string]int{"start_line": 2, "start_character": 0, "end_line": 4, "end_character": 0}, "message": "two and three"},
				{"message": "the whole file"},
			},
			"/COMMIT_MSG": []map[string]any{{"line": 6, "message": "subject"}},
		},
	}), 200, "review")

	type comment struct {
		Message      string `json:"message"`
		ContextLines []struct {
			LineNumber  int    `json:"line_number"`
			ContextLine string `json:"context_line"`
		} `json:"context_lines"`
		SourceContentType string `json:"source_content_type"`
	}
	context := func(c comment) string {
		var parts []string
		for _, l := range c.ContextLines {
			parts = append(parts, fmt.Sprintf("%d:%s", l.LineNumber, l.ContextLine))
		}
		return strings.Join(parts, "|")
	}
	var got map[string][]comment
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"/comments?enable-context&context-padding=1", nil), 200, &got)
	want := map[string]string{
		"on five":        "4:line 4|5:line 5|6:line 6",
		"two and three":  "1:line 1|2:line 2|3:line 3|4:line 4",
		"the whole file": "",
	}
	if len(got["main.go"]) != len(want) {
		t.Fatalf("comments on main.go: %+v", got["main.go"])
	}
	for _, c := range got["main.go"] {
		if w, ok := want[c.Message]; !ok || context(c) != w || (w != "") != (c.SourceContentType != "") {
			t.Errorf("%q: context %q (%s), want %q", c.Message, context(c), c.SourceContentType, w)
		}
	}
	if cm := got["/COMMIT_MSG"]; len(cm) != 1 || !strings.Contains(context(cm[0]), "Add main") ||
		cm[0].SourceContentType != "text/x-gerrit-commit-message" {
		t.Errorf("commit message comment: %+v", cm)
	}

	// Without the option there is no context; a bad padding is refused.
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"/comments", nil), 200, &got)
	if len(got["main.go"]) != len(want) {
		t.Fatalf("comments on main.go without context: %+v", got["main.go"])
	}
	for _, c := range got["main.go"] {
		if len(c.ContextLines) != 0 {
			t.Errorf("context without enable-context: %+v", c)
		}
	}
	wantText(t, s.admin(t, "GET", "/a/changes/"+n+"/comments?enable-context=true&context-padding=99", nil), 400,
		"context-padding must be a number from 0 to 50")
}
