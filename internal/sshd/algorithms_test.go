package sshd

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestResolveAlgorithms(t *testing.T) {
	defaults := []string{"a", "b", "c"}
	secure, insecure := []string{"a", "b", "c", "d"}, []string{"weak"}
	for _, tc := range []struct {
		values []string
		want   []string
		err    string
	}{
		{values: nil, want: defaults},
		{values: []string{"-b"}, want: []string{"a", "c"}},
		{values: []string{"+d"}, want: []string{"a", "b", "c", "d"}},
		{values: []string{"+a"}, want: defaults},
		{values: []string{"c", "a"}, want: []string{"c", "a"}},
		{values: []string{"+d", "b", "-b", "c"}, want: []string{"c"}},
		{values: []string{" + weak "}, want: []string{"a", "b", "c", "weak"}},
		{values: []string{"-d"}, want: defaults},
		{values: []string{"nope"}, err: `sshd.kex: unsupported algorithm "nope"; supported: a, b, c, d, weak`},
		{values: []string{"-a", "-b", "-c"}, err: "sshd.kex: no algorithm left to offer"},
	} {
		got, err := resolve("kex", tc.values, defaults, secure, insecure)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %s", tc.values, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.values, got, err, tc.want)
		}
	}
	if !slices.Equal(defaults, []string{"a", "b", "c"}) {
		t.Errorf("defaults changed to %q", defaults)
	}
}

func TestDefaultKeyExchanges(t *testing.T) {
	if slices.Contains(defaultKeyExchanges, ssh.KeyExchangeCurve25519) {
		t.Errorf("curve25519-sha256 offered by default: %q", defaultKeyExchanges)
	}
	for _, want := range []string{ssh.KeyExchangeMLKEM768X25519, ssh.KeyExchangeECDHP256} {
		if !slices.Contains(defaultKeyExchanges, want) {
			t.Errorf("%s not offered by default: %q", want, defaultKeyExchanges)
		}
	}
	for _, k := range ssh.InsecureAlgorithms().KeyExchanges {
		if slices.Contains(defaultKeyExchanges, k) {
			t.Errorf("insecure %s offered by default", k)
		}
	}
}

// negotiated connects with OpenSSH's client and returns the key exchange
// and client-to-server cipher it reports, or the client's error output.
func negotiated(t *testing.T, s *Server, k keys, extra ...string) (kex, cipher string, ok bool, out string) {
	t.Helper()
	r := runSSH(t, s, k.alice, append([]string{"-v"}, extra...), "gerrit whoami", nil)
	for _, line := range strings.Split(r.stderr, "\n") {
		if v, found := strings.CutPrefix(line, "debug1: kex: algorithm: "); found {
			kex = strings.TrimSpace(v)
		}
		if v, found := strings.CutPrefix(line, "debug1: kex: client->server cipher: "); found {
			cipher, _, _ = strings.Cut(v, " ")
		}
	}
	return kex, cipher, r.code == 0 && strings.Contains(r.stdout, "alice"), r.stderr
}

func TestAlgorithmsWithOpenSSH(t *testing.T) {
	k := newKeys(t)

	def := startServer(t, k, testMux(), nil)
	if kex, _, ok, out := negotiated(t, def, k); !ok || kex == ssh.KeyExchangeCurve25519 || kex == "" {
		t.Errorf("default server: kex %q, ok %v\n%s", kex, ok, out)
	}
	if _, _, ok, out := negotiated(t, def, k, "-o", "KexAlgorithms=curve25519-sha256"); ok || !strings.Contains(out, "no matching key exchange method") {
		t.Errorf("curve25519-only client accepted by default server:\n%s", out)
	}

	custom := startServer(t, k, testMux(), func(o *Options) {
		o.Algorithms = Algorithms{
			KeyExchanges: []string{"+curve25519-sha256", "-ecdh-sha2-nistp256"},
			Ciphers:      []string{"aes256-ctr"},
			MACs:         []string{"hmac-sha2-512-etm@openssh.com"},
		}
	})
	if kex, cipher, ok, out := negotiated(t, custom, k, "-o", "KexAlgorithms=curve25519-sha256"); !ok || kex != "curve25519-sha256" || cipher != "aes256-ctr" {
		t.Errorf("custom server: kex %q, cipher %q, ok %v\n%s", kex, cipher, ok, out)
	}
	if _, _, ok, out := negotiated(t, custom, k, "-o", "KexAlgorithms=ecdh-sha2-nistp256"); ok || !strings.Contains(out, "no matching key exchange method") {
		t.Errorf("removed ecdh-sha2-nistp256 still accepted:\n%s", out)
	}
	if _, _, ok, out := negotiated(t, custom, k, "-c", "aes128-ctr"); ok || !strings.Contains(out, "no matching cipher") {
		t.Errorf("cipher outside sshd.cipher accepted:\n%s", out)
	}

	o := def.o
	o.Algorithms = Algorithms{Ciphers: []string{"rot13"}}
	if _, err := New(o); err == nil || !strings.HasPrefix(err.Error(), `sshd.cipher: unsupported algorithm "rot13"`) {
		t.Errorf("New with an unknown cipher: %v", err)
	}
}
