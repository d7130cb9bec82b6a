package site

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDownloadArchive checks download.archive as Gerrit reads it: unset
// means every format, off none, and unknown names are an error.
func TestDownloadArchive(t *testing.T) {
	for _, tc := range []struct {
		config string
		want   []string // nil: unset
		err    string
	}{
		{"", nil, ""},
		{"[download]\n\tarchive = tgz\n\tarchive = TXZ\n\tarchive = zip\n", []string{"tgz", "txz"}, ""},
		{"[download]\n\tarchive = off\n", []string{}, ""},
		{"[download]\n\tarchive = rar\n", nil, `download.archive: "rar" is not tar, tgz, tbz2, txz or zip`},
	} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(dir)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.config, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.config, err)
		case !slices.Equal(c.Archives, tc.want) || (c.Archives == nil) != (tc.want == nil):
			t.Errorf("%q: archives %#v, want %#v", tc.config, c.Archives, tc.want)
		}
	}
}
