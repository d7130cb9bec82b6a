package dbtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestReapOrphans(t *testing.T) {
	base := t.TempDir()
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		desc  string
		owner string // content of owner.pid; "" for none
		kept  bool
	}{
		{desc: "dead owner", owner: strconv.Itoa(exited.Process.Pid), kept: false},
		{desc: "live owner", owner: strconv.Itoa(os.Getpid()), kept: true},
		{desc: "no owner yet", kept: true},
	}
	for _, tc := range cases {
		dir := filepath.Join(base, "tandem-pg-"+tc.desc)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if tc.owner != "" {
			if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(tc.owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// No data/postmaster.pid: pg_ctl is never run.
	reapOrphans(base, "pg_ctl-not-needed", nil)
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := os.Stat(filepath.Join(base, "tandem-pg-"+tc.desc))
			if kept := err == nil; kept != tc.kept {
				t.Errorf("directory kept = %v, want %v", kept, tc.kept)
			}
		})
	}
}
