package commands

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"time"

	"tandem/internal/logging"
	"tandem/internal/project"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// flushCaches is `gerrit flush-caches`: it empties this master's caches,
// all of them or those named. As in Gerrit, --list writes the names to
// stderr.
func (c *Commands) flushCaches(ctx context.Context, s *sshd.Session) error {
	var all, list bool
	var names []string
	fs := cmdflag.New("gerrit flush-caches")
	fs.Bool(&all, "--all", "flush all caches")
	fs.Bool(&list, "--list", "list available caches")
	fs.Strings(&names, "--cache", "NAME", "flush named cache")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "flush caches", project.CapFlushCaches); err != nil {
		return err
	}
	switch {
	case list && (all || len(names) > 0):
		return die("cannot use --list with --all or --cache")
	case list:
		_, err := io.WriteString(s.Stderr, strings.Join(c.caches.Names(), "\n")+"\n")
		return err
	case all && len(names) > 0:
		return die("cannot combine --all and --cache")
	}
	if err := c.caches.Flush(names...); err != nil {
		return userError(err)
	}
	c.log.Info("caches flushed", "caches", names, "by", cl.account.Username)
	return nil
}

// showCaches is `gerrit show-caches`: Gerrit's table of the caches (the
// columns of disk caches and load times stay empty: Tandem has neither),
// then the SSH and memory lines.
func (c *Commands) showCaches(ctx context.Context, s *sshd.Session) error {
	var width int
	var jvm, disk bool
	fs := cmdflag.New("gerrit show-caches")
	fs.Int(&width, "--width|-w", "COLS", "width of output table (the names' column takes what the others leave)")
	fs.Bool(&jvm, "--show-jvm", "show details about the runtime")
	fs.Bool(&disk, "--include-diskstats", "include the disk cache figures (none here)")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "view caches", project.CapViewCaches); err != nil {
		return err
	}
	now := time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%-25s %-20s      now  %16s\n", "Gerrit Code Review", c.version, now.Format("15:04:05   MST"))
	fmt.Fprintf(&b, "%-25s %-20s   uptime %16s\n\n", "", "", uptime(now.Sub(c.started)))
	// The columns after the names take 45 of the width.
	nw := max(30, width-45)
	fmt.Fprintf(&b, "  %-*s|%-21s|  AvgGet |Hit Ratio|\n", nw, "Name", "Entries")
	fmt.Fprintf(&b, "  %-*s|%6s %6s %7s|%9s|%-9s|\n", nw, "", "Mem", "Disk", "Space", "", "Mem  Disk")
	b.WriteString(strings.Repeat("-", nw+2) + "+" + strings.Repeat("-", 21) + "+" + strings.Repeat("-", 9) + "+" + strings.Repeat("-", 9) + "+\n")
	for _, st := range c.caches.Stats() {
		ratio := ""
		if r, ok := st.HitRatio(); ok {
			ratio = fmt.Sprintf("%3d%%", r)
		}
		fmt.Fprintf(&b, "  %-*s|%6d %6s %7s|%9s|%-4s %4s|\n", nw, st.Name, st.Entries, "", "", "", ratio, "")
	}
	b.WriteByte('\n')
	conns := s.Connections()
	users := map[string]bool{}
	oldest := time.Duration(0)
	for _, ci := range conns {
		users[ci.Identity.Username] = true
		oldest = max(oldest, now.Sub(ci.Start))
	}
	fmt.Fprintf(&b, "SSH:   %4d  users, oldest session started %s ago\n", len(users), oldest.Round(time.Millisecond))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(&b, "Mem: %s total = %s used + %s free\n", byteSize(ms.Sys), byteSize(ms.HeapInuse+ms.StackInuse), byteSize(ms.Sys-ms.HeapInuse-ms.StackInuse))
	fmt.Fprintf(&b, "Threads: %d CPUs available, %d goroutines\n", runtime.NumCPU(), runtime.NumGoroutine())
	if jvm {
		fmt.Fprintf(&b, "\n%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

// showConnections is `gerrit show-connections`: one line per SSH
// connection, oldest first. Remote hosts are always shown as addresses
// (-n is accepted for Gerrit's sake); -w leaves user names untruncated.
func (c *Commands) showConnections(ctx context.Context, s *sshd.Session) error {
	var numeric, wide bool
	fs := cmdflag.New("gerrit show-connections")
	fs.Bool(&numeric, "--numeric|-n", "don't resolve addresses to host names")
	fs.Bool(&wide, "--wide|-w", "wide output")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	// As in Gerrit, maintainServer lets its holders in too.
	if err := c.requireCapability(ctx, cl, "view connections", project.CapViewConnections, project.CapMaintainServer); err != nil {
		return err
	}
	now := time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %8s %8s  %-15s %s\n", "Session", "Start", "Idle", "User", "Remote Host")
	b.WriteString(strings.Repeat("-", 62) + "\n")
	for _, ci := range s.Connections() {
		start := ci.Start.Format("15:04:05")
		if y, m, d := ci.Start.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
			start = ci.Start.Format("Jan-02")
		}
		user := ci.Identity.Username
		if !wide && len(user) > 15 {
			user = user[:15]
		}
		fmt.Fprintf(&b, "%8s %8s %8s  %-15s %s\n", ci.ID, start, clockTime(ci.Idle), user, remoteHost(ci.Remote))
	}
	b.WriteString("--\n")
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

// closeConnection is gerrit close-connection [--wait] ID…, for
// administrators: it ends connections of this master, as show-connections
// lists them; with --wait it returns once they are gone. An id that names
// no connection is reported and makes the command fail at the end.
func (c *Commands) closeConnection(ctx context.Context, s *sshd.Session) error {
	var wait bool
	fs := cmdflag.New("gerrit close-connection")
	fs.Bool(&wait, "--wait", "wait for the connections to close")
	fs.Args("SESSION_ID …", 1, -1)
	ids, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "administrate server", project.CapAdministrateServer); err != nil {
		return err
	}
	var closing []<-chan struct{}
	missing := false
	for _, id := range ids {
		done, ok := s.CloseConnection(id)
		if !ok {
			fmt.Fprintf(s.Stderr, "close connection error: no connection with id %s\n", id)
			missing = true
			continue
		}
		c.log.Info("ssh connection closed by an administrator", "conn", id, "by", cl.account.Username)
		closing = append(closing, done)
	}
	if wait {
		for _, done := range closing {
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if missing {
		return &sshd.ExitError{Code: 1}
	}
	return nil
}

// logging is gerrit logging ls-level (ls) [NAME] and gerrit logging
// set-level (set) LEVEL [LOGGER], for administrators: the log level of
// each component of this master, and changing it until the next restart.
// LOGGER is a component, a regular expression after "^", or nothing for
// all of them; the level "reset" returns every one to its level at start.
func (c *Commands) logging(ctx context.Context, s *sshd.Session) error {
	if len(s.Args) == 0 {
		return die("gerrit logging: a subcommand is required: ls-level, set-level")
	}
	sub := s.Args[0]
	fs := cmdflag.New("gerrit logging " + sub)
	list := false
	switch sub {
	case "ls-level", "ls":
		list = true
		fs.Args("NAME", 0, 1)
	case "set-level", "set":
		fs.Args("LEVEL [LOGGER]", 1, 2)
	default:
		return die("gerrit logging: %s: not found", sub)
	}
	args, err := fs.Parse(s.Args[1:])
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "administrate server", project.CapAdministrateServer); err != nil {
		return err
	}
	if c.levels == nil {
		return die("log levels cannot be changed on this server")
	}
	if list {
		filter := ""
		if len(args) > 0 {
			filter = args[0]
		}
		for _, line := range c.levels.List(filter) {
			fmt.Fprintln(s.Stdout, line)
		}
		return nil
	}
	if strings.EqualFold(args[0], "reset") {
		c.levels.Reset()
		c.log.Info("log levels reset", "by", cl.account.Username)
		return nil
	}
	level, ok := logging.ParseLevel(args[0])
	if !ok {
		return die("invalid log level %q: use debug, info, warn, error, off or reset", args[0])
	}
	logger := ""
	if len(args) > 1 {
		logger = args[1]
	}
	n, err := c.levels.Set(level, logger)
	switch {
	case err != nil:
		return die("%v", err)
	case n == 0:
		return die("no logger matches %q", logger)
	}
	c.log.Info("log level set", "level", level, "logger", logger, "by", cl.account.Username)
	return nil
}

// uptime is Gerrit's "N days M hrs" / "N hrs M min" / "N min S sec".
func uptime(d time.Duration) string {
	days, hours := int(d/(24*time.Hour)), int(d/time.Hour)%24
	mins, secs := int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d days %d hrs", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d hrs %d min", hours, mins)
	}
	return fmt.Sprintf("%d min %d sec", mins, secs)
}

// clockTime renders d as HH:MM:SS.
func clockTime(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// remoteHost is the address a connection comes from, without its port.
func remoteHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// byteSize renders n in Gerrit's short units.
func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fg", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fm", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fk", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d", n)
}

// plugin is `gerrit plugin SUBCOMMAND`. Tandem has no plugins: `ls`
// lists none in every format (the JSON one is what python-gerritlib
// reads), and the subcommands that would change them are refused as
// Gerrit refuses them when remote administration is off.
func (c *Commands) plugin(ctx context.Context, s *sshd.Session) error {
	if len(s.Args) == 0 {
		return die("gerrit plugin: a subcommand is required: ls")
	}
	switch sub := s.Args[0]; sub {
	case "ls":
	case "enable", "disable", "install", "add", "reload", "remove", "rm":
		return die("remote plugin administration is disabled")
	default:
		return die("gerrit plugin: %s: not found", sub)
	}
	var all bool
	var format string
	fs := cmdflag.New("gerrit plugin ls")
	fs.Bool(&all, "--all|-a", "list disabled plugins too")
	fs.Enum(&format, "--format", "FMT", []string{"text", "json", "json_compact"}, "output format")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args[1:]); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	// As in Gerrit, maintainServer lets its holders in too.
	if err := c.requireCapability(ctx, cl, "view plugin list", project.CapViewPlugins, project.CapMaintainServer); err != nil {
		return err
	}
	out := fmt.Sprintf("%-30s %-10s %-16s %-8s %s\n%s\n", "Name", "Version", "Api-Version", "Status", "File", strings.Repeat("-", 80))
	if strings.HasPrefix(strings.ToLower(format), "json") {
		out = "{}\n"
	}
	_, err = io.WriteString(s.Stdout, out)
	return err
}

// apropos is `gerrit apropos QUERY`, Gerrit's search of its bundled
// documentation. Tandem bundles none, so it answers as a Gerrit site built
// without documentation answers.
func (c *Commands) apropos(ctx context.Context, s *sshd.Session) error {
	fs := cmdflag.New("gerrit apropos")
	fs.Args("QUERY", 1, 1)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	return die("Documentation search not available")
}
