package git

import "testing"

func TestValidRefName(t *testing.T) {
	tests := []struct {
		ref  string
		want bool
	}{
		{"refs/heads/main", true},
		{"refs/heads/feature/x-1.2", true},
		{"refs/tags/v1.0", true},
		{"refs/meta/config", true},
		{"heads/main", false},
		{"refs/heads/a..b", false},
		{"refs/heads/a//b", false},
		{"refs/heads/", false},
		{"refs/heads/a.", false},
		{"refs/heads/.hidden", false},
		{"refs/heads/a.lock", false},
		{"refs/heads/a.lock/b", false},
		{"refs/heads/a@{1}", false},
		{"refs/heads/a b", false},
		{"refs/heads/a~1", false},
		{"refs/heads/a^", false},
		{"refs/heads/a:b", false},
		{"refs/heads/a?", false},
		{"refs/heads/a*", false},
		{"refs/heads/a[b", false},
		{"refs/heads/a\\b", false},
		{"refs/heads/a\x01", false},
		{"refs/heads/a\x7f", false},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			if got := ValidRefName(tc.ref); got != tc.want {
				t.Errorf("ValidRefName(%q) = %v, want %v", tc.ref, got, tc.want)
			}
		})
	}
}
