package query

import (
	"context"
	"strings"
	"testing"

	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

// explain returns the plan of a statement, one line per step.
func explain(t testing.TB, d *db.DB, query string, args []any) []string {
	t.Helper()
	prefix := "EXPLAIN "
	if d.Type() == db.SQLite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := d.Query(context.Background(), prefix+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		// SQLite: id, parent, notused, detail; PostgreSQL: one text column.
		switch v := vals[len(vals)-1].(type) {
		case string:
			lines = append(lines, v)
		case []byte:
			lines = append(lines, string(v))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestPlans: the dashboard query status:open project:P walks
// changes_project_status in order, on its first page and on the pages
// after a cursor, without scanning the table or sorting; lookups by
// number, Change-Id and commit use their indexes.
func TestPlans(t *testing.T) {
	tests := []struct {
		q       string
		sqlite  string // in the SQLite plan
		pg      string // in the PostgreSQL plan ("Index Scan on x" also accepts a bitmap scan on x and "Index Scan using x")
		ordered bool   // read in index order: no sort
	}{
		{"status:open project:P", "SEARCH c USING INDEX changes_project_status (project=? AND status=?",
			"Index Scan using changes_project_status on changes c", true},
		{"project:P status:open -is:wip", "SEARCH c USING INDEX changes_project_status (project=? AND status=?",
			"Index Scan using changes_project_status on changes c", true},
		{"change:5", "SEARCH c USING INDEX sqlite_autoindex_changes_1 (id=?)", "Index Scan using changes_pkey", false},
		{"5", "SEARCH c USING INDEX sqlite_autoindex_changes_1 (id=?)", "Index Scan using changes_pkey", false},
		{"change:I0123", "SEARCH c USING INDEX changes_key (change_key>? AND change_key<?)", "Index Scan on changes_key", false},
		{"commit:cccc", "SEARCH s USING INDEX patch_sets_commit (commit_sha>? AND commit_sha<?)", "Index Scan on patch_sets_commit", false},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		seedAccounts(t, d)
		seedBulk(t, d, "P", 0, 3000, true)
		seedBulk(t, d, "Q", 10000, 3000, true)
		seedBulk(t, d, "R", 20000, 3000, true)
		for _, analyzed := range []bool{false, true} {
			if analyzed {
				exec(t, d, "ANALYZE")
			}
			for _, tc := range tests {
				n, err := Parse(tc.q)
				if err != nil {
					t.Fatal(err)
				}
				p, err := Compile(context.Background(), n, Options{})
				if err != nil {
					t.Fatal(err)
				}
				curs := []*cursor{nil}
				if tc.ordered {
					curs = append(curs, &cursor{updated: 500, id: 1500})
				}
				for _, cur := range curs {
					query, args := p.page(cur, 26)
					plan := strings.Join(explain(t, d, query, args), "\n")
					want := tc.sqlite
					bad := []string{"SCAN c"}
					if tc.ordered {
						bad = append(bad, "TEMP B-TREE")
					}
					if d.Type() == db.Postgres {
						want, bad = tc.pg, []string{"Seq Scan on changes"}
						if tc.ordered {
							bad = append(bad, "Sort", "Bitmap")
						}
					}
					if !strings.Contains(plan, want) && !strings.Contains(plan, strings.Replace(want, " on ", " using ", 1)) {
						t.Errorf("%s (analyzed %v, cursor %v): the plan lacks %q:\n%s", tc.q, analyzed, cur, want, plan)
					}
					for _, b := range bad {
						if strings.Contains(plan, b) {
							t.Errorf("%s (analyzed %v, cursor %v): the plan has %q:\n%s", tc.q, analyzed, cur, b, plan)
						}
					}
				}
			}
		}
	})
}
