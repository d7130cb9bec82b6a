package restapi

import (
	"strings"
	"testing"

	"tandem/internal/account"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

// TestReviewedFiles sets, clears and lists reviewed flags through the
// router, in order: each step sees the flags the ones before it left.
// Carrying flags to a new patch set needs git and is tested end to end.
func TestReviewedFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newHandlerEnv(t, d)
		const ps2 = "/changes/1/revisions/2/files/"
		tests := []struct {
			desc, method, path string
			by                 *account.Account // nil: anonymous
			status             int
			body               string // trimmed, without the JSON prefix
			text               bool   // body is a text/plain error
		}{
			{desc: "mark", method: "PUT", path: ps2 + "f.txt/reviewed", by: e.alice, status: 201},
			{desc: "mark again", method: "PUT", path: ps2 + "f.txt/reviewed", by: e.alice, status: 200},
			{desc: "mark the commit message", method: "PUT", path: ps2 + "%2FCOMMIT_MSG/reviewed", by: e.alice, status: 201},
			{desc: "list", method: "GET", path: ps2 + "?reviewed", by: e.alice, status: 200, body: `["/COMMIT_MSG","f.txt"]`},
			{desc: "another caller's list", method: "GET", path: ps2 + "?reviewed", by: e.admin, status: 200, body: `[]`},
			{desc: "another caller marks", method: "PUT", path: "/changes/p~1/revisions/current/files/f.txt/reviewed", by: e.admin,
				status: 201},
			{desc: "list after another caller marked", method: "GET", path: ps2 + "?reviewed", by: e.alice, status: 200,
				body: `["/COMMIT_MSG","f.txt"]`},
			{desc: "a file not in the patch set", method: "PUT", path: ps2 + "nope.txt/reviewed", by: e.alice, status: 404,
				body: "Not found: nope.txt", text: true},
			{desc: "a file of another patch set", method: "PUT", path: "/changes/1/revisions/1/files/f.txt/reviewed", by: e.alice,
				status: 404, body: "Not found: f.txt", text: true},
			{desc: "the merge list of a commit that is no merge", method: "PUT", path: ps2 + "%2FMERGE_LIST/reviewed", by: e.alice,
				status: 404, body: "Not found: /MERGE_LIST", text: true},
			{desc: "unmark a file not in the patch set", method: "DELETE", path: ps2 + "nope.txt/reviewed", by: e.alice, status: 404,
				body: "Not found: nope.txt", text: true},
			{desc: "a missing change", method: "PUT", path: "/changes/7/revisions/1/files/f.txt/reviewed", by: e.alice, status: 404,
				body: "Not found: 7", text: true},
			{desc: "anonymous list", method: "GET", path: ps2 + "?reviewed", status: 403, body: "Authentication required", text: true},
			{desc: "anonymous mark", method: "PUT", path: ps2 + "f.txt/reviewed", status: 403, body: "Authentication required", text: true},
			{desc: "GET of one flag", method: "GET", path: ps2 + "f.txt/reviewed", by: e.alice, status: 405, body: "Method Not Allowed",
				text: true},
			{desc: "POST of one flag", method: "POST", path: ps2 + "f.txt/reviewed", by: e.alice, status: 405, body: "Method Not Allowed",
				text: true},
			{desc: "PUT on a diff", method: "PUT", path: ps2 + "f.txt/diff", by: e.alice, status: 405, body: "Method Not Allowed",
				text: true},
			{desc: "reviewed with another list option", method: "GET", path: ps2 + "?reviewed&q=f", by: e.alice, status: 400,
				body: "cannot combine base, parent, reviewed, query", text: true},
			{desc: "unmark", method: "DELETE", path: ps2 + "f.txt/reviewed", by: e.alice, status: 204},
			{desc: "unmark again", method: "DELETE", path: ps2 + "f.txt/reviewed", by: e.alice, status: 204},
			{desc: "list after unmarking", method: "GET", path: ps2 + "?reviewed", by: e.alice, status: 200, body: `["/COMMIT_MSG"]`},
			{desc: "the other caller's flag stays", method: "GET", path: ps2 + "?reviewed", by: e.admin, status: 200, body: `["f.txt"]`},
			{desc: "an earlier patch set without flags", method: "GET", path: "/changes/1/revisions/1/files/?reviewed", by: e.alice,
				status: 200, body: `[]`},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				w := e.do(t, tc.method, tc.path, tc.by, "", "")
				if tc.text {
					wantPlain(t, w, tc.status, tc.body)
					return
				}
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body.String())
				}
				if tc.body == "" {
					if w.Body.Len() != 0 {
						t.Fatalf("body %q, want none", w.Body.String())
					}
					return
				}
				decodeResponse(t, w, tc.status, nil)
				if got := strings.TrimSpace(strings.TrimPrefix(w.Body.String(), ")]}'\n")); got != tc.body {
					t.Fatalf("body %s, want %s", got, tc.body)
				}
			})
		}
	})
}
