package db

import "testing"

// LatestVersion is the newest embedded migration of typ.
func LatestVersion(t testing.TB, typ Type) int {
	t.Helper()
	ms, err := migrations(typ)
	if err != nil {
		t.Fatal(err)
	}
	return ms[len(ms)-1].version
}
