package sshd

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Algorithms are the transport algorithms a server offers, as Gerrit's
// sshd.kex, sshd.cipher and sshd.mac values: each list holds the values of
// one multi-valued key, nil meaning the default.
type Algorithms struct {
	KeyExchanges []string
	Ciphers      []string
	MACs         []string
}

// defaultKeyExchanges is what the server offers when sshd.kex is not set:
// every secure exchange the library implements, except curve25519-sha256.
// The client chooses among the offered ones by its own preference, and
// OpenSSH up to 9.x computes Curve25519 in portable reference C, several
// milliseconds of client CPU on every git command over SSH, where P-256
// ECDH runs through OpenSSL's optimized code at the same 128-bit strength.
// The post-quantum hybrid comes first for clients that know it.
// `sshd.kex = +curve25519-sha256` turns Curve25519 back on.
var defaultKeyExchanges = func() []string {
	var out []string
	for _, k := range ssh.SupportedAlgorithms().KeyExchanges {
		if k != ssh.KeyExchangeCurve25519 {
			out = append(out, k)
		}
	}
	return out
}()

// resolve applies Gerrit's rules for one algorithm key to its defaults:
// "+NAME" adds, "-NAME" removes, and a plain NAME, the first time one
// appears, replaces the defaults. Names must be ones the library
// implements, insecure ones only when asked for by name.
func resolve(key string, values, defaults, secure, insecure []string) ([]string, error) {
	if len(values) == 0 {
		return defaults, nil
	}
	out := slices.Clone(defaults)
	cleared := false
	for _, v := range values {
		name := strings.TrimSpace(v)
		add := true
		switch {
		case strings.HasPrefix(name, "-"):
			add, name = false, strings.TrimSpace(name[1:])
		case strings.HasPrefix(name, "+"):
			name = strings.TrimSpace(name[1:])
		case !cleared:
			cleared, out = true, nil
		}
		if !slices.Contains(secure, name) && !slices.Contains(insecure, name) {
			return nil, fmt.Errorf("sshd.%s: unsupported algorithm %q; supported: %s",
				key, name, strings.Join(append(slices.Clone(secure), insecure...), ", "))
		}
		if i := slices.Index(out, name); !add && i >= 0 {
			out = slices.Delete(out, i, i+1)
		} else if add && i < 0 {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sshd.%s: no algorithm left to offer", key)
	}
	return out, nil
}

// apply resolves a against the library's algorithms and sets them on cfg.
func (a Algorithms) apply(cfg *ssh.Config) error {
	secure, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	var err error
	if cfg.KeyExchanges, err = resolve("kex", a.KeyExchanges, defaultKeyExchanges, secure.KeyExchanges, insecure.KeyExchanges); err != nil {
		return err
	}
	if cfg.Ciphers, err = resolve("cipher", a.Ciphers, secure.Ciphers, secure.Ciphers, insecure.Ciphers); err != nil {
		return err
	}
	cfg.MACs, err = resolve("mac", a.MACs, secure.MACs, secure.MACs, insecure.MACs)
	return err
}
