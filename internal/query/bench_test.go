package query

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

// benchDB returns a database holding n changes in project P (half of
// them open) and n more spread over four other projects.
func benchDB(b *testing.B, typ db.Type, n int64) *db.DB {
	b.Helper()
	d := dbtest.Open(b, typ)
	seedAccounts(b, d)
	seedBulk(b, d, "P", 0, n, true)
	for i := int64(0); i < 4; i++ {
		seedBulk(b, d, fmt.Sprintf("other%d", i), n+i*n/4, n/4, true)
	}
	if typ == db.Postgres {
		exec(b, d, "ANALYZE") // what autovacuum does after a bulk load
	}
	return d
}

// BenchmarkStatusOpenProject times the dashboard query status:open
// project:P (n=25, newest first) with 1,000 and with 100,000 changes in P
// (and as many in other projects), alternating between the two
// databases, and reports the median latency of each and their ratio.
func BenchmarkStatusOpenProject(b *testing.B) {
	ctx := context.Background()
	visible := func(context.Context, *change.Change) (bool, error) { return true, nil }
	for _, typ := range []db.Type{db.SQLite, db.Postgres} {
		small := benchDB(b, typ, 1000)
		large := benchDB(b, typ, 100000)
		b.Run(string(typ), func(b *testing.B) {
			var ts, tl []time.Duration
			run := func(d *db.DB) time.Duration {
				start := time.Now()
				cs, more, err := Run(ctx, d, "status:open project:P", Options{Limit: 25, Visible: visible})
				if err != nil || len(cs) != 25 || !more {
					b.Fatalf("Run: %d changes, more %v, %v", len(cs), more, err)
				}
				return time.Since(start)
			}
			for b.Loop() {
				ts = append(ts, run(small))
				tl = append(tl, run(large))
			}
			ms, ml := median(ts), median(tl)
			b.ReportMetric(float64(ms.Nanoseconds())/1e3, "p50-1k-µs")
			b.ReportMetric(float64(ml.Nanoseconds())/1e3, "p50-100k-µs")
			b.ReportMetric(float64(ml)/float64(ms), "ratio")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
