package service

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"tandem/internal/git"
)

// Capabilities remembers upload-pack's protocol v2 capability
// advertisement (the answer to an HTTP info/refs request, which lists no
// refs) per repository, so that only the first of those requests starts
// git. The cached bytes are git's own output, reused while the
// repository's config file, the configuration Tandem passes and the
// protocol value are the same; the system's git configuration is read
// once. Safe for concurrent use.
type Capabilities struct {
	mu sync.Mutex
	m  map[string]cachedCaps // repository path →
}

type cachedCaps struct {
	key  string
	body []byte
}

// NewCapabilities returns an empty cache.
func NewCapabilities() *Capabilities { return &Capabilities{m: map[string]cachedCaps{}} }

// serve writes the advertisement of cmd's repository to w, running cmd
// (with its Stdout replaced) only when the cache has no current copy.
func (c *Capabilities) serve(ctx context.Context, r *git.Runner, cmd git.Cmd, path string, w io.Writer) error {
	key, ok := capsKey(cmd, path)
	if ok {
		c.mu.Lock()
		hit, found := c.m[path]
		c.mu.Unlock()
		if found && hit.key == key {
			_, err := w.Write(hit.body)
			return err
		}
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := r.Run(ctx, cmd); err != nil {
		return err
	}
	if ok {
		c.mu.Lock()
		c.m[path] = cachedCaps{key: key, body: bytes.Clone(out.Bytes())}
		c.mu.Unlock()
	}
	_, err := w.Write(out.Bytes())
	return err
}

// capsKey identifies what an advertisement depends on; false when the
// repository's config file cannot be examined.
func capsKey(cmd git.Cmd, path string) (string, bool) {
	fi, err := os.Stat(filepath.Join(path, "config"))
	if err != nil {
		return "", false
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %d\x00", fi.ModTime().UnixNano(), fi.Size(), ino)
	for _, kv := range cmd.Config {
		fmt.Fprintf(&b, "%s=%s\x00", kv.Key, kv.Value)
	}
	for _, e := range cmd.Env {
		b.WriteString(e + "\x00")
	}
	b.WriteString(strings.Join(cmd.Flags, " "))
	return b.String(), true
}
