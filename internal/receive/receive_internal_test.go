package receive

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
			if got := validRefName(tc.ref); got != tc.want {
				t.Errorf("validRefName(%q) = %v, want %v", tc.ref, got, tc.want)
			}
		})
	}
}

func TestParseTag(t *testing.T) {
	const oid = "1111111111111111111111111111111111111111"
	head := "object " + oid + "\ntype commit\ntag v1\ntagger A U Thor <a@example.com> 1700000000 +0000\n"
	tests := []struct {
		desc string
		tag  string
		want tagObject
	}{
		{"plain", head + "\nrelease\n", tagObject{target: oid, targetType: "commit", taggerEmail: "a@example.com"}},
		{"pgp signed", head + "\nrelease\n-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n",
			tagObject{target: oid, targetType: "commit", taggerEmail: "a@example.com", signed: true}},
		{"ssh signed", head + "\nrelease\n-----BEGIN SSH SIGNATURE-----\nxyz\n-----END SSH SIGNATURE-----\n",
			tagObject{target: oid, targetType: "commit", taggerEmail: "a@example.com", signed: true}},
		{"no tagger", "object " + oid + "\ntype tree\ntag t\n\nold\n", tagObject{target: oid, targetType: "tree"}},
		{"text that is not a signature", head + "\nsays -----BEGIN nothing\n",
			tagObject{target: oid, targetType: "commit", taggerEmail: "a@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := parseTag(tc.tag); *got != tc.want {
				t.Errorf("parseTag = %+v, want %+v", *got, tc.want)
			}
		})
	}
}
