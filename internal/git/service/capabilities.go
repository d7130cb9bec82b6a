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
	"tandem/internal/git/pktline"
)

// Capabilities remembers, per repository, upload-pack's protocol v2
// capability advertisement (the answer to an HTTP info/refs request,
// which lists no refs) and receive-pack's capabilities, so that only the
// first of those requests starts git. What is cached is git's own output,
// reused while the repository's config file, the configuration Tandem
// passes and the protocol value are the same; the system's git
// configuration is read once. Safe for concurrent use.
type Capabilities struct {
	mu sync.Mutex
	m  map[string]cachedCaps // repository path →
}

type cachedCaps struct {
	key     string
	body    []byte       // upload-pack's v2 advertisement
	receive *receiveCaps // receive-pack's capabilities
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

// receiveCaps is what receive-pack's advertisement of a repository looks
// like with no refs: the packets before its capabilities line (a
// "version 1" line under protocol v1), and that line's capabilities.
type receiveCaps struct {
	prefix []byte // packets as git wrote them
	line   []byte // the whole "capabilities^{}" packet, for an empty list
	caps   string
}

// advertiseReceive writes receive-pack's HTTP ref advertisement of the
// refs v lets the caller see (and always does not hide) without starting
// git: git's own advertisement of no refs, cached like upload-pack's,
// gives the capabilities, and the refs come from v's listing, in its
// (git's) order. capsCmd is the receive-pack command hiding every ref.
func (c *Capabilities) advertiseReceive(ctx context.Context, r *git.Runner, capsCmd git.Cmd, path string,
	v *view, always []string, w io.Writer) error {
	rc, err := c.receiveCaps(ctx, r, capsCmd, path)
	if err != nil {
		return err
	}
	out := append([]byte(nil), rc.prefix...)
	first := true
	for i, ref := range v.refs {
		if !v.visible[i] || coveredBy(ref.Name, always) {
			continue
		}
		line := ref.OID + " " + ref.Name
		if first {
			line += "\x00" + rc.caps
			first = false
		}
		if out, err = pktline.Append(out, []byte(line+"\n")); err != nil {
			return err
		}
	}
	if first {
		out = append(out, rc.line...)
	}
	out = append(out, "0000"...)
	_, err = w.Write(out)
	return err
}

// receiveCaps returns the cached capabilities of receive-pack for the
// repository at path, running capsCmd when there is no current copy.
func (c *Capabilities) receiveCaps(ctx context.Context, r *git.Runner, capsCmd git.Cmd, path string) (*receiveCaps, error) {
	key, ok := capsKey(capsCmd, path)
	slot := path + "\x00" + ReceivePack
	if ok {
		c.mu.Lock()
		hit, found := c.m[slot]
		c.mu.Unlock()
		if found && hit.key == key {
			return hit.receive, nil
		}
	}
	var buf bytes.Buffer
	capsCmd.Stdout = &buf
	if err := r.Run(ctx, capsCmd); err != nil {
		return nil, err
	}
	rc, err := parseReceiveCaps(buf.Bytes())
	if err != nil {
		return nil, err
	}
	if ok {
		c.mu.Lock()
		c.m[slot] = cachedCaps{key: key, receive: rc}
		c.mu.Unlock()
	}
	return rc, nil
}

// parseReceiveCaps reads git's advertisement of no refs: optional
// packets, the "<zero-id> capabilities^{}\0CAPS" packet, a flush.
func parseReceiveCaps(b []byte) (*receiveCaps, error) {
	pr := pktline.NewReader(bytes.NewReader(b))
	var prefix bytes.Buffer
	for {
		kind, p, err := pr.Next()
		if err != nil {
			return nil, fmt.Errorf("read receive-pack advertisement: %w", err)
		}
		if kind != pktline.Data {
			return nil, fmt.Errorf("read receive-pack advertisement: no capabilities line")
		}
		body := strings.TrimSuffix(string(p), "\n")
		if name, caps, ok := strings.Cut(body, "\x00"); ok && strings.HasSuffix(name, " capabilities^{}") {
			line, err := pktline.Append(nil, p)
			if err != nil {
				return nil, err
			}
			return &receiveCaps{prefix: prefix.Bytes(), line: line, caps: caps}, nil
		}
		if err := pktline.Write(&prefix, p); err != nil {
			return nil, err
		}
	}
}
