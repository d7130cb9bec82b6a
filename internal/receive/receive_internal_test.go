package receive

import "testing"

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
