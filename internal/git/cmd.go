package git

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// ConfigPair is one -c key=value.
type ConfigPair struct{ Key, Value string }

// Cmd describes one git command. Only Name is required.
//
// Args come after --end-of-options; for the few subcommands that do not
// understand it (var, version, check-ref-format, index-pack, blame,
// upload-archive) an Arg starting with '-' is refused instead. upload-pack,
// receive-pack and upload-archive take the repository as their argument:
// pass it in Args, or leave Args empty and Dir is used.
type Cmd struct {
	Dir    string       // repository (GIT_DIR), absolute; passed as --git-dir=Dir
	Name   string       // subcommand; must be in the allow-list
	Config []ConfigPair // -c key=value before the subcommand (keys validated)
	Flags  []string     // trusted options chosen by Tandem code; each must start with '-'
	Args   []string     // positional arguments, may be user input: always after --end-of-options
	Paths  []string     // after "--" (pathspecs), optional
	Env    []string     // extra KEY=VALUE; keys must be in the env allow-list
	Stdin  io.Reader    // nil: no input (Run, Output) or a pipe (Start)
	Stdout io.Writer    // nil: discarded (Run) or a pipe (Start)
	Stderr io.Writer    // nil: captured, capped, put into *Error; else also copied here
}

// spec says how a subcommand parses its command line.
type spec struct {
	// noEndOfOptions: the subcommand does not understand --end-of-options;
	// its Args are passed bare and must not start with '-'.
	noEndOfOptions bool
	// dirArg: the subcommand takes the repository as its positional
	// argument; with no Args, the Runner passes Dir there.
	dirArg bool
}

// commands is the allow-list of subcommands. Two-word names
// ("commit-graph write") are subcommands with a mode.
var commands = map[string]spec{
	"upload-pack":            {dirArg: true},
	"receive-pack":           {dirArg: true},
	"upload-archive":         {dirArg: true, noEndOfOptions: true},
	"archive":                {},
	"cat-file":               {},
	"for-each-ref":           {},
	"update-ref":             {},
	"rev-parse":              {},
	"rev-list":               {},
	"init":                   {},
	"config":                 {},
	"symbolic-ref":           {},
	"hash-object":            {},
	"mktree":                 {},
	"mktag":                  {},
	"commit-tree":            {},
	"merge-base":             {},
	"merge-tree":             {},
	"show-ref":               {},
	"ls-tree":                {},
	"diff-tree":              {},
	"log":                    {},
	"show":                   {},
	"format-patch":           {},
	"diff":                   {},
	"patch-id":               {},
	"range-diff":             {},
	"name-rev":               {},
	"cherry":                 {},
	"grep":                   {},
	"interpret-trailers":     {},
	"pack-refs":              {},
	"gc":                     {},
	"repack":                 {},
	"prune":                  {},
	"fsck":                   {},
	"count-objects":          {},
	"pack-objects":           {},
	"commit-graph write":     {},
	"multi-pack-index write": {},
	"bundle create":          {},
	"ls-remote":              {},
	"fetch":                  {},
	"push":                   {},
	"version":                {noEndOfOptions: true},
	"var":                    {noEndOfOptions: true},
	"check-ref-format":       {noEndOfOptions: true},
	"index-pack":             {noEndOfOptions: true},
	"blame":                  {noEndOfOptions: true},
}

// Allowed reports whether name is an allow-listed subcommand.
func Allowed(name string) bool {
	_, ok := commands[name]
	return ok
}

// envKeys are the Cmd.Env keys a command may set, besides TANDEM_*.
var envKeys = map[string]bool{
	"GIT_PROTOCOL":                     true, // protocol v2 negotiation from the client
	"GIT_QUARANTINE_PATH":              true, // receive-pack's object quarantine
	"GIT_OBJECT_DIRECTORY":             true, // reading quarantined objects from a hook
	"GIT_ALTERNATE_OBJECT_DIRECTORIES": true,
	"GIT_AUTHOR_NAME":                  true, // commit-tree identities
	"GIT_AUTHOR_EMAIL":                 true,
	"GIT_AUTHOR_DATE":                  true,
	"GIT_COMMITTER_NAME":               true,
	"GIT_COMMITTER_EMAIL":              true,
	"GIT_COMMITTER_DATE":               true,
	"GIT_REFLOG_ACTION":                true,
	"GIT_SSH_COMMAND":                  true, // replication pushes
	"GIT_TRACE2_EVENT":                 true, // diagnostics
}

// EnvAllowed reports whether a Cmd.Env key may be set.
func EnvAllowed(key string) bool {
	return envKeys[key] || (strings.HasPrefix(key, "TANDEM_") && len(key) > len("TANDEM_"))
}

// args validates c and returns git's arguments (without the binary) and the
// environment for it.
func (r *Runner) args(c Cmd) (argv, env []string, err error) {
	sp, ok := commands[c.Name]
	if !ok {
		return nil, nil, fmt.Errorf("%w: subcommand %q not allowed", ErrInvalidCmd, c.Name)
	}
	if c.Dir != "" {
		if !filepath.IsAbs(c.Dir) {
			return nil, nil, fmt.Errorf("%w: dir %q not absolute", ErrInvalidCmd, c.Dir)
		}
		if strings.IndexByte(c.Dir, 0) >= 0 {
			return nil, nil, fmt.Errorf("%w: dir contains NUL", ErrInvalidCmd)
		}
	}
	args := c.Args
	if sp.dirArg && len(args) == 0 {
		if c.Dir == "" {
			return nil, nil, fmt.Errorf("%w: %s needs Dir or a repository argument", ErrInvalidCmd, c.Name)
		}
		args = []string{c.Dir} // absolute, so never option-like
	}
	for _, p := range c.Config {
		if err := validateConfig(p); err != nil {
			return nil, nil, err
		}
	}
	for _, f := range c.Flags {
		if !strings.HasPrefix(f, "-") || f == "--" || f == "--end-of-options" || strings.IndexByte(f, 0) >= 0 {
			return nil, nil, fmt.Errorf("%w: flag %q", ErrInvalidCmd, f)
		}
	}
	for _, a := range args {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, nil, fmt.Errorf("%w: argument contains NUL", ErrInvalidCmd)
		}
		if sp.noEndOfOptions && strings.HasPrefix(a, "-") {
			return nil, nil, fmt.Errorf("%w: argument %q looks like an option", ErrInvalidCmd, a)
		}
	}
	for _, p := range c.Paths {
		if strings.IndexByte(p, 0) >= 0 {
			return nil, nil, fmt.Errorf("%w: path contains NUL", ErrInvalidCmd)
		}
	}
	for _, kv := range c.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || !EnvAllowed(k) || strings.IndexByte(kv, 0) >= 0 {
			return nil, nil, fmt.Errorf("%w: env %q not allowed", ErrInvalidCmd, k)
		}
	}

	n := 2 + len(r.global) + 2*len(c.Config) + len(c.Flags) + len(args) + len(c.Paths) + 4
	argv = make([]string, 0, n)
	if c.Dir != "" {
		argv = append(argv, "--git-dir="+c.Dir)
	}
	argv = append(argv, r.global...)
	for _, p := range c.Config {
		argv = append(argv, "-c", p.Key+"="+p.Value)
	}
	argv = append(argv, strings.Fields(c.Name)...)
	argv = append(argv, c.Flags...)
	if len(args) > 0 && !sp.noEndOfOptions {
		argv = append(argv, "--end-of-options")
	}
	argv = append(argv, args...)
	if len(c.Paths) > 0 {
		argv = append(argv, "--")
		argv = append(argv, c.Paths...)
	}

	env = r.env
	if len(c.Env) > 0 {
		env = make([]string, 0, len(r.env)+len(c.Env))
		env = append(env, r.env...)
		env = append(env, c.Env...)
	}
	return argv, env, nil
}

// validateConfig checks that a config key has git's shape,
// section[.subsection].name, so that "-c key=value" cannot be misparsed.
func validateConfig(p ConfigPair) error {
	bad := func() error { return fmt.Errorf("%w: config key %q", ErrInvalidCmd, p.Key) }
	k := p.Key
	first := strings.IndexByte(k, '.')
	last := strings.LastIndexByte(k, '.')
	if first <= 0 || last == len(k)-1 || strings.IndexByte(p.Value, 0) >= 0 {
		return bad()
	}
	section, sub, name := k[:first], "", k[last+1:]
	if first != last {
		sub = k[first+1 : last]
	}
	for _, c := range section {
		if !isAlnum(c) && c != '-' {
			return bad()
		}
	}
	for i, c := range name {
		if !isAlnum(c) && (c != '-' || i == 0) || i == 0 && c >= '0' && c <= '9' {
			return bad()
		}
	}
	if strings.ContainsAny(sub, "=\n\x00") {
		return bad()
	}
	return nil
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
