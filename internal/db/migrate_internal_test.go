package db

import "testing"

// TestMigrationsMatch checks that both dialects have the same migrations,
// so a database of either type at version N has the same schema.
func TestMigrationsMatch(t *testing.T) {
	lite, err := migrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("%d sqlite and %d postgresql migrations, want the same number, at least 1", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].version != pg[i].version || lite[i].name != pg[i].name {
			t.Errorf("migration %d is %04d_%s on sqlite and %04d_%s on postgresql",
				i, lite[i].version, lite[i].name, pg[i].version, pg[i].name)
		}
		if lite[i].version != i+1 {
			t.Errorf("migration %d has version %d, want %d (no gaps)", i, lite[i].version, i+1)
		}
	}
}
