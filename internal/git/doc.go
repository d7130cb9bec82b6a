// Package git is the only place in Tandem that runs the git binary.
//
// A Runner builds every git command line itself, in a fixed shape:
//
//	git [--git-dir=DIR] -c core.hooksPath=H [-c k=v]... SUBCOMMAND FLAGS... [--end-of-options ARGS...] [-- PATHS...]
//
// Subcommands must be in an allow-list, flags are chosen by Tandem code and
// must look like options, and every positional argument (which may be user
// input) comes after --end-of-options so that it can never be read as an
// option. The environment is not inherited: a child sees only a fixed set of
// variables (no system or global git config, C locale, no terminal prompts)
// plus the Cmd.Env keys in an allow-list.
//
// Each process runs in its own process group; when the context of Run, Output
// or Start is done the whole group is killed with SIGKILL, so hooks and other
// children die with it. Standard error is captured (capped) and returned in
// *Error when the command fails.
//
// A Runner is immutable and safe for concurrent use. A Process returned by
// Start belongs to its caller, who must call Wait exactly once.
package git
