package e2e

import (
	"net/url"
	"testing"
)

// TestChangeQueryErrorsOverREST sends queries that do not parse, or that
// an anonymous caller may not ask, to GET /changes/ and expects Gerrit's
// statuses with a plain-text message.
func TestChangeQueryErrorsOverREST(t *testing.T) {
	s := startServer(t, "sqlite")
	tests := []struct {
		desc   string
		query  string
		user   string
		status int
		msg    string
	}{
		{"unknown status", "status:bogus", "admin", 400, "Unrecognized value for status: bogus"},
		{"unknown operator", "foo:bar", "admin", 400, "Unsupported operator foo:bar"},
		{"unbalanced parenthesis", "(status:open", "admin", 400, `missing closing parenthesis for the "(" at column 1`},
		{"bad label vote", "label:Code-Review=x", "admin", 400, `Invalid label: Code-Review=x: bad vote "x"`},
		{"self when anonymous", "owner:self", "", 403, "Must be signed-in to use this operator"},
		{"is:reviewer when anonymous", "is:reviewer", "", 403, "Must be signed-in to use this operator"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			path := "/changes/?q=" + url.QueryEscape(tc.query)
			password := ""
			if tc.user != "" {
				path, password = "/a"+path, adminPassword
			}
			wantText(t, s.call(t, "GET", path, tc.user, password, nil, ""), tc.status, tc.msg)
		})
	}
}
