// Package service runs git's upload-pack and receive-pack for one client
// request. HTTP and SSH both call Serve, so the two transports behave the
// same: the request body or SSH channel is git's stdin, git's stdout is the
// response, nothing is buffered beyond one protocol request.
//
// Refs the caller may not read are hidden with uploadpack.hideRefs /
// receive.hideRefs, computed per request from the Visible predicate. git
// itself refuses wants of hidden objects in protocol v0; protocol v2 allows
// any want, so for v2 Serve reads each fetch request and refuses wants that
// are not reachable from a visible ref before git sees them.
package service

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"tandem/internal/git"
	"tandem/internal/git/repo"
)

// Names of the two services.
const (
	UploadPack  = "upload-pack"
	ReceivePack = "receive-pack"
)

// Request is one service invocation.
type Request struct {
	Service  string // UploadPack or ReceivePack
	Repo     *repo.Repo
	Protocol string // client's GIT_PROTOCOL, e.g. "version=2"; validated
	// Stateless and Advertise select HTTP's two modes; both false for SSH.
	Stateless bool
	Advertise bool
	// Visible reports whether the caller may read a ref; nil means every
	// ref is visible.
	Visible func(ref string) bool
	// HideAlways lists ref prefixes hidden from this service whatever
	// Visible says (e.g. refs/changes/ for receive-pack).
	HideAlways []string
	Config     []git.ConfigPair
	Env        []string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
}

// ErrBadProtocol reports an unacceptable GIT_PROTOCOL value.
var ErrBadProtocol = errors.New("invalid git protocol value")

var protocolRE = regexp.MustCompile(`^[A-Za-z0-9=._:-]{0,128}$`)

// V2 reports whether a GIT_PROTOCOL value asks for protocol v2.
func V2(protocol string) bool {
	for _, kv := range strings.Split(protocol, ":") {
		if kv == "version=2" {
			return true
		}
	}
	return false
}

// Serve runs the service to completion.
func Serve(ctx context.Context, r *git.Runner, req Request) error {
	if !protocolRE.MatchString(req.Protocol) {
		return ErrBadProtocol
	}
	var flags []string
	if req.Stateless {
		flags = append(flags, "--stateless-rpc")
	}
	if req.Advertise {
		flags = append(flags, "--advertise-refs")
	}
	config := append([]git.ConfigPair(nil), req.Config...)
	hideKey := "uploadpack.hideRefs"
	if req.Service == ReceivePack {
		hideKey = "receive.hideRefs"
	}
	for _, p := range req.HideAlways {
		config = append(config, git.ConfigPair{Key: hideKey, Value: p})
	}
	stdin := req.Stdin
	// A protocol v2 advertisement lists capabilities, not refs.
	if req.Visible != nil && !(req.Advertise && V2(req.Protocol)) {
		refs, err := req.Repo.Refs(ctx)
		if err != nil {
			return err
		}
		hidden, visibleTips := HiddenPrefixes(refs, req.Visible)
		for _, p := range hidden {
			config = append(config, git.ConfigPair{Key: hideKey, Value: p})
		}
		if req.Service == UploadPack && len(hidden) > 0 && V2(req.Protocol) && !req.Advertise && stdin != nil {
			stdin = &wantFilter{
				ctx:  ctx,
				src:  bufio.NewReaderSize(stdin, 64<<10),
				tips: visibleTips,
				reachable: func(oid string) bool {
					return reachableFromVisible(ctx, r, req.Repo, oid, req.Visible)
				},
			}
		}
	}
	env := append([]string(nil), req.Env...)
	if req.Protocol != "" {
		env = append(env, "GIT_PROTOCOL="+req.Protocol)
	}
	return r.Run(ctx, git.Cmd{
		Name:   req.Service,
		Config: config,
		Flags:  flags,
		Args:   []string{req.Repo.Path},
		Env:    env,
		Stdin:  stdin,
		Stdout: req.Stdout,
		Stderr: req.Stderr,
	})
}

// HiddenPrefixes returns the fewest ref prefixes that hide exactly the
// invisible refs (a prefix hides a ref equal to it or below it), and the set
// of object ids that visible refs point at.
func HiddenPrefixes(refs []repo.Ref, visible func(string) bool) ([]string, map[string]bool) {
	type node struct {
		children map[string]*node
		visible  bool // some ref at or below is visible
		hidden   bool // some ref at or below is hidden
		isRef    bool
	}
	root := &node{children: map[string]*node{}}
	tips := map[string]bool{}
	for _, ref := range refs {
		vis := visible(ref.Name)
		if vis {
			tips[ref.OID] = true
		}
		n := root
		for _, part := range strings.Split(ref.Name, "/") {
			c := n.children[part]
			if c == nil {
				c = &node{children: map[string]*node{}}
				n.children[part] = c
			}
			if vis {
				c.visible = true
			} else {
				c.hidden = true
			}
			n = c
		}
		n.isRef = true
	}
	var out []string
	var walk func(prefix string, n *node)
	walk = func(prefix string, n *node) {
		names := make([]string, 0, len(n.children))
		for k := range n.children {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			c := n.children[k]
			p := k
			if prefix != "" {
				p = prefix + "/" + k
			}
			switch {
			case !c.hidden:
			case !c.visible:
				out = append(out, p)
			default:
				walk(p, c)
			}
		}
	}
	walk("", root)
	return out, tips
}

// reachableFromVisible reports whether commit oid is contained in a ref
// the caller can see.
func reachableFromVisible(ctx context.Context, r *git.Runner, rp *repo.Repo, oid string, visible func(string) bool) bool {
	out, err := r.Output(ctx, git.Cmd{
		Dir:   rp.Path,
		Name:  "for-each-ref",
		Flags: []string{"--format=%(refname)", "--contains=" + oid},
	})
	if err != nil {
		return false
	}
	for _, ref := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if ref != "" && visible(ref) {
			return true
		}
	}
	return false
}

// wantFilter passes protocol v2 requests through, checking the "want"
// lines of each fetch command before forwarding that request.
type wantFilter struct {
	ctx       context.Context
	src       *bufio.Reader
	tips      map[string]bool
	reachable func(oid string) bool
	pending   bytes.Buffer
	err       error
}

var oidRE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

func (f *wantFilter) Read(p []byte) (int, error) {
	for f.pending.Len() == 0 {
		if f.err != nil {
			return 0, f.err
		}
		f.err = f.nextRequest()
	}
	return f.pending.Read(p)
}

// nextRequest reads one request (up to a flush packet) into pending.
func (f *wantFilter) nextRequest() error {
	fetch := false
	for {
		pkt, payload, err := readPkt(f.src)
		if err != nil {
			if errors.Is(err, io.EOF) && f.pending.Len() > 0 {
				return nil
			}
			return err
		}
		f.pending.Write(pkt)
		line := strings.TrimSuffix(string(payload), "\n")
		switch {
		case line == "command=fetch":
			fetch = true
		case fetch && strings.HasPrefix(line, "want "):
			oid := strings.TrimPrefix(line, "want ")
			if !oidRE.MatchString(oid) || !f.tips[oid] && !f.reachable(oid) {
				return fmt.Errorf("upload-pack: not our ref %s", oid)
			}
		}
		if len(pkt) == 4 && string(pkt) == "0000" {
			return nil
		}
	}
}

// readPkt reads one pkt-line, returning its raw bytes and payload.
func readPkt(r *bufio.Reader) (raw, payload []byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, nil, err
	}
	var n int
	if _, err := fmt.Sscanf(string(hdr[:]), "%04x", &n); err != nil {
		return nil, nil, fmt.Errorf("bad pkt-line header %q", hdr[:])
	}
	if n < 4 { // flush, delim, response-end
		return hdr[:], nil, nil
	}
	buf := make([]byte, n)
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		return nil, nil, err
	}
	return buf, buf[4:], nil
}
