// Package service runs git's upload-pack and receive-pack for one client
// request. HTTP and SSH both call Serve, so the two transports behave the
// same: the request body or SSH channel is git's stdin, git's stdout is the
// response, nothing is buffered beyond one protocol request.
//
// Refs the caller may not read are hidden with uploadpack.hideRefs /
// receive.hideRefs, computed per request from the Visible predicate and
// Gerrit's tag rule: a tag the caller may not read is still visible when
// the commit it points to is reachable from a branch the caller can see.
// git itself refuses wants of hidden objects in protocol v0; protocol v2
// allows any want, so for v2 Serve reads each request and refuses wants
// that are not reachable from a visible ref before git sees them. The
// client then gets git's own "ERR upload-pack: not our ref <oid>" and
// Serve returns nil: a refused want is an answer, not a failure.
//
// Over HTTP, the ls-refs request that starts a protocol v2 fetch is
// answered from the same visibility listing without starting git (see
// lsrefs.go); every other request runs git.
//
// receive-pack always advertises push options and atomic pushes, as
// Gerrit does.
//
// Serve is safe for concurrent use; it holds nothing between calls.
package service

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"tandem/internal/git"
	"tandem/internal/git/pktline"
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
	// Capabilities, when set, answers repeated protocol v2 capability
	// advertisements of upload-pack, and receive-pack's HTTP ref
	// advertisements, without starting git.
	Capabilities *Capabilities
	Config       []git.ConfigPair
	Env          []string
	Stdin        io.Reader
	Stdout       io.Writer
	Stderr       io.Writer
}

// ErrBadProtocol reports an unacceptable GIT_PROTOCOL value.
var ErrBadProtocol = errors.New("invalid git protocol value")

// ErrBadService reports a service other than UploadPack and ReceivePack.
var ErrBadService = errors.New("invalid git service")

// validProtocol reports whether a GIT_PROTOCOL value may be passed to
// git in its environment: short, and only the characters of
// "key=value:key=value" lists.
func validProtocol(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("=._:-", c)) {
			return false
		}
	}
	return true
}

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
	if !validProtocol(req.Protocol) {
		return ErrBadProtocol
	}
	hideKey := "uploadpack.hideRefs"
	switch req.Service {
	case UploadPack:
	case ReceivePack:
		hideKey = "receive.hideRefs"
	default:
		return fmt.Errorf("%w: %q", ErrBadService, req.Service)
	}
	var flags []string
	if req.Stateless {
		flags = append(flags, "--stateless-rpc")
	}
	if req.Advertise {
		flags = append(flags, "--advertise-refs")
	}
	config := append([]git.ConfigPair(nil), req.Config...)
	if req.Service == ReceivePack {
		// Clients check the advertisement (a request of its own over
		// HTTP) before they send push options or an atomic push.
		config = append(config,
			git.ConfigPair{Key: "receive.advertisePushOptions", Value: "true"},
			git.ConfigPair{Key: "receive.advertiseAtomic", Value: "true"})
	}
	base := append([]git.ConfigPair(nil), config...)
	for _, p := range req.HideAlways {
		config = append(config, git.ConfigPair{Key: hideKey, Value: p})
	}
	stdin := req.Stdin
	var filter *wantFilter
	visible := req.Visible
	if len(req.HideAlways) > 0 && (req.Service == UploadPack || visible != nil) {
		// Refs hidden anyway need no visibility check (for patch-set refs
		// that means a database read); for upload-pack, objects only they
		// reach must not be fetched by id either.
		inner := visible
		visible = func(ref string) bool { return !coveredBy(ref, req.HideAlways) && (inner == nil || inner(ref)) }
	}
	// A v2 advertisement lists capabilities only, no refs; the request
	// half of an HTTP push advertises nothing, and Tandem's proc-receive
	// hook decides every ref it updates.
	v2Caps := req.Advertise && req.Service == UploadPack && V2(req.Protocol)
	pushBody := req.Service == ReceivePack && req.Stateless && !req.Advertise
	// A receive-pack advertisement lists the view's refs itself; git is
	// asked only for its capabilities, so it needs no hidden refs.
	ownPushAdvert := req.Service == ReceivePack && req.Advertise && req.Capabilities != nil
	var v *view
	if visible != nil && !v2Caps && !pushBody {
		var err error
		if v, err = newView(ctx, r, req.Repo, visible); err != nil {
			return err
		}
		if req.Service == UploadPack && req.Stateless && !req.Advertise && V2(req.Protocol) && stdin != nil {
			q, rest := readLsRefs(stdin)
			if q != nil {
				return v.answerLsRefs(ctx, q, req.Stdout)
			}
			stdin = rest
		}
		var hidden []string
		switch {
		case ownPushAdvert: // git lists no refs at all
		case req.Service == ReceivePack:
			hidden = v.hiddenRefs(req.HideAlways)
		default:
			hidden = v.hiddenPrefixes()
		}
		for _, p := range hidden {
			config = append(config, git.ConfigPair{Key: hideKey, Value: p})
		}
		if req.Service == UploadPack && len(hidden) > 0 {
			// Repository configuration must not reopen what is hidden.
			config = append(config,
				git.ConfigPair{Key: "uploadpack.allowTipSHA1InWant", Value: "false"},
				git.ConfigPair{Key: "uploadpack.allowAnySHA1InWant", Value: "false"})
			if V2(req.Protocol) && !req.Advertise && stdin != nil {
				filter = &wantFilter{
					src:   pktline.NewReader(bufio.NewReaderSize(stdin, 64<<10)),
					check: func(oids []string) (string, error) { return v.refuse(ctx, oids) },
				}
				stdin = filter
			}
		}
	}
	env := append([]string(nil), req.Env...)
	if req.Protocol != "" {
		env = append(env, "GIT_PROTOCOL="+req.Protocol)
	}
	cmd := git.Cmd{
		Name:   req.Service,
		Config: config,
		Flags:  flags,
		Args:   []string{req.Repo.Path},
		Env:    env,
		Stdin:  stdin,
		Stdout: req.Stdout,
		Stderr: req.Stderr,
	}
	if v2Caps && req.Capabilities != nil {
		return req.Capabilities.serve(ctx, r, cmd, req.Repo.Path, req.Stdout)
	}
	if ownPushAdvert && v != nil {
		// The refs are known from the view; git only tells its
		// capabilities, once, by advertising no refs at all.
		capsCmd := cmd
		capsCmd.Config = append(base, git.ConfigPair{Key: hideKey, Value: "refs/"})
		capsCmd.Stdin = nil
		return req.Capabilities.advertiseReceive(ctx, r, capsCmd, req.Repo.Path, v, req.HideAlways, req.Stdout)
	}
	err := r.Run(ctx, cmd)
	if filter != nil {
		if oid := filter.refused(); oid != "" {
			// git saw the end of its input before the refused request
			// and has exited; the client waits for an answer to it.
			if werr := pktline.WriteString(req.Stdout, "ERR upload-pack: not our ref "+oid); werr != nil {
				return werr
			}
			return nil
		}
	}
	return err
}

// view is what one caller may see of a repository at one moment.
type view struct {
	runner    *git.Runner
	repo      *repo.Repo
	refs      []repo.Ref
	visible   []bool                // parallel to refs
	tips      map[string]bool       // objects visible refs point at
	isVisible func(ref string) bool // the caller's rule, for refs not in refs
}

// index returns the position of the ref name in v.refs, or -1.
func (v *view) index(name string) int {
	i := sort.Search(len(v.refs), func(i int) bool { return v.refs[i].Name >= name })
	if i < len(v.refs) && v.refs[i].Name == name {
		return i
	}
	return -1
}

// newView lists the refs of rp and decides which the caller sees: those
// visible says, and hidden tags whose commit a visible branch contains.
func newView(ctx context.Context, r *git.Runner, rp *repo.Repo, visible func(string) bool) (*view, error) {
	refs, err := rp.Refs(ctx)
	if err != nil {
		return nil, err
	}
	v := &view{runner: r, repo: rp, refs: refs, visible: make([]bool, len(refs)), tips: map[string]bool{}, isVisible: visible}
	var hiddenTags, branchTips []string
	for i, ref := range refs {
		v.visible[i] = visible(ref.Name)
		switch {
		case v.visible[i] && strings.HasPrefix(ref.Name, "refs/heads/"):
			branchTips = append(branchTips, ref.OID)
		case !v.visible[i] && strings.HasPrefix(ref.Name, "refs/tags/"):
			hiddenTags = append(hiddenTags, ref.Name)
		}
	}
	if len(hiddenTags) > 0 && len(branchTips) > 0 {
		merged, err := tagsMergedInto(ctx, r, rp, branchTips)
		if err != nil {
			return nil, err
		}
		for i, ref := range refs {
			if !v.visible[i] && merged[ref.Name] {
				v.visible[i] = true
			}
		}
	}
	for i, ref := range refs {
		if v.visible[i] {
			v.tips[ref.OID] = true
		}
	}
	return v, nil
}

// VisibleRefs returns the names of the refs of rp that a caller for whom
// visible holds is shown by a fetch, in the order ls-refs lists them: HEAD
// first when it points at a visible branch, then the visible refs sorted.
// It applies the same rules as Serve, hidden tags on visible branches
// included, so it answers "what can this user fetch?".
func VisibleRefs(ctx context.Context, r *git.Runner, rp *repo.Repo, visible func(ref string) bool) ([]string, error) {
	v, err := newView(ctx, r, rp, visible)
	if err != nil {
		return nil, err
	}
	var names []string
	if target, err := rp.Head(ctx); err == nil {
		if i := v.index(target); i >= 0 && v.visible[i] {
			names = append(names, "HEAD")
		}
	}
	for i, ref := range v.refs {
		if v.visible[i] {
			names = append(names, ref.Name)
		}
	}
	return names, nil
}

// maxMergedArgs bounds the --merged options of one for-each-ref, so that
// the command line stays far below the kernel's limit.
const maxMergedArgs = 2000

// tagsMergedInto returns the tags under refs/tags/ whose commit (peeled)
// is reachable from one of tips. It is one git command for up to
// maxMergedArgs distinct tips: git walks the history once for all tags.
func tagsMergedInto(ctx context.Context, r *git.Runner, rp *repo.Repo, tips []string) (map[string]bool, error) {
	sort.Strings(tips)
	tips = compactStrings(tips)
	merged := map[string]bool{}
	for len(tips) > 0 {
		n := min(len(tips), maxMergedArgs)
		flags := []string{"--format=%(refname)"}
		for _, t := range tips[:n] {
			flags = append(flags, "--merged="+t)
		}
		tips = tips[n:]
		out, err := r.Output(ctx, git.Cmd{Dir: rp.Path, Name: "for-each-ref", Flags: flags, Args: []string{"refs/tags/"}})
		if err != nil {
			return nil, fmt.Errorf("tags reachable in %q: %w", rp.Name, err)
		}
		for _, name := range strings.Split(string(out), "\n") {
			if name != "" {
				merged[name] = true
			}
		}
	}
	return merged, nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// hiddenPrefixes is the hideRefs list for upload-pack: as few prefixes as
// possible, since refs that do not exist yet need not be considered.
func (v *view) hiddenPrefixes() []string {
	return hiddenPrefixes(v.refs, func(i int) bool { return v.visible[i] })
}

// maxExactHidden bounds the receive.hideRefs values given one by one.
const maxExactHidden = 5000

// hiddenRefs is the hideRefs list for receive-pack. git also refuses
// updates to hidden refs, and a prefix would refuse creating a new ref
// below it, which is for the permission checks to decide; so each hidden
// ref is named exactly, unless there are so many that the command line
// would suffer.
func (v *view) hiddenRefs(always []string) []string {
	var out []string
	for i, ref := range v.refs {
		if v.visible[i] || coveredBy(ref.Name, always) {
			continue
		}
		out = append(out, ref.Name)
	}
	if len(out) > maxExactHidden {
		return v.hiddenPrefixes()
	}
	return out
}

// coveredBy reports whether one of the hideRefs prefixes hides ref.
func coveredBy(ref string, prefixes []string) bool {
	for _, p := range prefixes {
		p = strings.TrimRight(p, "/")
		if rest, ok := strings.CutPrefix(ref, p); ok && (rest == "" || rest[0] == '/') {
			return true
		}
	}
	return false
}

// HiddenPrefixes returns the fewest ref prefixes, in git's hideRefs sense
// (a value hides the ref of that name and every ref below it), that hide
// exactly the refs for which visible is false, sorted.
func HiddenPrefixes(refs []repo.Ref, visible func(string) bool) []string {
	return hiddenPrefixes(refs, func(i int) bool { return visible(refs[i].Name) })
}

func hiddenPrefixes(refs []repo.Ref, visible func(i int) bool) []string {
	type node struct {
		children map[string]*node
		visible  bool // some ref at or below is visible
		hidden   bool // some ref at or below is hidden
	}
	root := &node{children: map[string]*node{}}
	for i, ref := range refs {
		vis := visible(i)
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
	return out
}

// refuse returns the first of oids the caller may not fetch, or "" when
// every one is reachable from a visible ref. Tips cost nothing; the rest
// cost one cat-file and one rev-list for commits, and one object walk of
// the visible history for other objects (partial clones fetch blobs by
// id), whatever their number.
func (v *view) refuse(ctx context.Context, oids []string) (string, error) {
	var rest []string
	for _, oid := range oids {
		switch {
		case !git.IsOID(oid):
			return oid, nil
		case !v.tips[oid]:
			rest = append(rest, oid)
		}
	}
	if len(rest) == 0 {
		return "", nil
	}
	types, err := v.repo.ObjectTypes(ctx, rest)
	if err != nil {
		return "", err
	}
	var commits, others []string
	for _, oid := range rest {
		switch types[oid] {
		case "commit":
			commits = append(commits, oid)
		case "tree", "blob", "tag":
			others = append(others, oid)
		default:
			return oid, nil // missing
		}
	}
	if len(commits) > 0 {
		if oid, err := v.unreachableCommit(ctx, commits); oid != "" || err != nil {
			return oid, err
		}
	}
	if len(others) > 0 {
		return v.unreachableObject(ctx, others)
	}
	return "", nil
}

// tipList returns the distinct objects visible refs point at.
func (v *view) tipList() []string {
	tips := make([]string, 0, len(v.tips))
	for t := range v.tips {
		tips = append(tips, t)
	}
	sort.Strings(tips)
	return tips
}

// unreachableCommit walks from commits down to the visible tips: what it
// prints is not reachable from them. The walk stops at the first want it
// prints.
func (v *view) unreachableCommit(ctx context.Context, commits []string) (string, error) {
	var in strings.Builder
	for _, c := range commits {
		in.WriteString(c + "\n")
	}
	for _, t := range v.tipList() {
		in.WriteString("^" + t + "\n")
	}
	want := map[string]bool{}
	for _, c := range commits {
		want[c] = true
	}
	found := ""
	err := v.stream(ctx, []string{"--stdin"}, in.String(), func(oid string) bool {
		if want[oid] {
			found = oid
			return false
		}
		return true
	})
	return found, err
}

// unreachableObject lists the objects reachable from the visible tips
// until it has seen every one of oids; the first one never seen is not
// reachable.
func (v *view) unreachableObject(ctx context.Context, oids []string) (string, error) {
	missing := map[string]bool{}
	for _, o := range oids {
		missing[o] = true
	}
	tips := v.tipList()
	if len(tips) > 0 {
		err := v.stream(ctx, []string{"--objects", "--no-object-names", "--use-bitmap-index", "--stdin"},
			strings.Join(tips, "\n")+"\n", func(oid string) bool {
				delete(missing, oid)
				return len(missing) > 0
			})
		if err != nil {
			return "", err
		}
	}
	for _, o := range oids {
		if missing[o] {
			return o, nil
		}
	}
	return "", nil
}

// stream runs rev-list with flags and stdin, calling each for every line
// of output until it returns false, which stops the walk.
func (v *view) stream(ctx context.Context, flags []string, stdin string, each func(oid string) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p, err := v.runner.Start(ctx, git.Cmd{Dir: v.repo.Path, Name: "rev-list", Flags: flags, Stdin: strings.NewReader(stdin)})
	if err != nil {
		return fmt.Errorf("rev-list in %q: %w", v.repo.Name, err)
	}
	sc := bufio.NewScanner(p.Stdout)
	stopped := false
	for sc.Scan() {
		if !each(sc.Text()) {
			stopped = true
			cancel()
			break
		}
	}
	if !stopped {
		// Drain so that git is never blocked on a full pipe.
		io.Copy(io.Discard, p.Stdout)
	}
	if err := p.Wait(); err != nil && !stopped {
		return fmt.Errorf("rev-list in %q: %w", v.repo.Name, err)
	}
	return nil
}

// wantFilter passes protocol v2 requests to git one whole request at a
// time, checking the objects a fetch wants (and object-info asks about)
// first. A refused request ends git's input instead: git exits cleanly
// and Serve answers the client.
type wantFilter struct {
	src     *pktline.Reader
	check   func(oids []string) (refused string, err error)
	pending bytes.Buffer
	err     error

	// Read runs in the goroutine that feeds git; Serve reads the refusal
	// after git has exited.
	mu  sync.Mutex
	bad string
}

func (f *wantFilter) Read(p []byte) (int, error) {
	for f.pending.Len() == 0 {
		if f.err != nil {
			return 0, f.err
		}
		f.err = f.nextRequest()
	}
	return f.pending.Read(p)
}

func (f *wantFilter) refused() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bad
}

// nextRequest reads one request (up to its flush packet) into pending.
// It returns io.EOF at the end of input and after a refusal.
func (f *wantFilter) nextRequest() error {
	var command string
	var oids []string
	for {
		kind, payload, err := f.src.Next()
		if err != nil {
			// A request cut short is dropped: git must not see part of
			// one whose wants were never checked.
			f.pending.Reset()
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return io.EOF
			}
			return err
		}
		switch kind {
		case pktline.Flush:
			f.pending.WriteString("0000")
		case pktline.Delim:
			f.pending.WriteString("0001")
		case pktline.ResponseEnd:
			f.pending.WriteString("0002")
		default:
			b, _ := pktline.Append(f.pending.AvailableBuffer(), payload)
			f.pending.Write(b)
			line := strings.TrimSuffix(string(payload), "\n")
			if c, ok := strings.CutPrefix(line, "command="); ok && command == "" {
				command = c
			} else if oid, ok := wanted(command, line); ok {
				oids = append(oids, oid)
			}
		}
		if kind != pktline.Flush {
			continue
		}
		if len(oids) == 0 {
			return nil
		}
		bad, err := f.check(oids)
		if err != nil {
			f.pending.Reset()
			return err
		}
		if bad != "" {
			f.pending.Reset()
			f.mu.Lock()
			f.bad = bad
			f.mu.Unlock()
			return io.EOF
		}
		return nil
	}
}

// wanted returns the object a request line of command asks for.
func wanted(command, line string) (string, bool) {
	switch command {
	case "fetch":
		return strings.CutPrefix(line, "want ")
	case "object-info":
		return strings.CutPrefix(line, "oid ")
	}
	return "", false
}
