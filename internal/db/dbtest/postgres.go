package dbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx" for the admin connection

	"tandem/internal/db"
)

// envPostgresURL names an existing server to use instead of a throwaway one.
const envPostgresURL = "TANDEM_TEST_POSTGRES_URL"

// The throwaway cluster lives as long as the test process: started by the
// first test that needs it, stopped by Main.
var (
	mainCalled  atomic.Bool
	clusterOnce sync.Once
	theCluster  *cluster
	clusterErr  error
	databases   atomic.Int64 // names the databases handed out
)

// cluster is a PostgreSQL server tests create databases on.
type cluster struct {
	dir      string   // temp dir with data/, the socket and the log; "" for an external server
	pgCtl    string   // pg_ctl binary
	runAs    []string // command prefix running as the cluster's owner; nil when that is us
	adminURL url.URL
	admin    *sql.DB
	prefix   string // of database names; unique per process on a shared external server

	templateOnce sync.Once
	template     string // migrated database that Open's databases copy
	templateErr  error
}

// PostgresURL creates a fresh, empty database on the test PostgreSQL server
// and returns its URL. The database is dropped at cleanup.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return getCluster(t).newDatabase(t, "")
}

// migratedPostgresURL is PostgresURL for a database with the schema already
// in place: a copy of a template migrated once per process, which is faster
// than migrating every test's database.
func migratedPostgresURL(t testing.TB) string {
	t.Helper()
	c := getCluster(t)
	c.templateOnce.Do(func() { c.templateErr = c.makeTemplate() })
	if c.templateErr != nil {
		t.Fatalf("dbtest: %v", c.templateErr)
	}
	return c.newDatabase(t, c.template)
}

func getCluster(t testing.TB) *cluster {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("dbtest: PostgreSQL tests need dbtest.Main; add func TestMain(m *testing.M) { dbtest.Main(m) }")
	}
	clusterOnce.Do(func() { theCluster, clusterErr = startCluster() })
	if clusterErr != nil {
		t.Fatalf("dbtest: %v", clusterErr)
	}
	return theCluster
}

// newDatabase creates a database, a copy of template unless that is "", and
// returns its URL; the database is dropped at cleanup.
func (c *cluster) newDatabase(t testing.TB, template string) string {
	t.Helper()
	name := fmt.Sprintf("%s%d", c.prefix, databases.Add(1))
	stmt := "CREATE DATABASE " + name
	if template != "" {
		stmt += " TEMPLATE " + template
	}
	if _, err := c.admin.Exec(stmt); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// FORCE: a connection the test leaked must not fail the test run.
		if _, err := c.admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return c.url(name)
}

func (c *cluster) url(database string) string {
	u := c.adminURL
	u.Path = "/" + database
	return u.String()
}

func (c *cluster) makeTemplate() error {
	name := c.prefix + "template"
	if _, err := c.admin.Exec("CREATE DATABASE " + name); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	c.template = name
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Type: db.Postgres, URL: c.url(name)})
	if err != nil {
		return fmt.Errorf("template database: %w", err)
	}
	// No connection may stay open: PostgreSQL copies only an unused database.
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return fmt.Errorf("template database: %w", err)
	}
	return nil
}

func startCluster() (*cluster, error) {
	if s := os.Getenv(envPostgresURL); s != "" {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envPostgresURL, err)
		}
		c := &cluster{adminURL: *u, prefix: fmt.Sprintf("t_%d_", os.Getpid())}
		if err := c.connect(); err != nil {
			return nil, err
		}
		return c, nil
	}

	initdb, pgCtl, err := findBinaries()
	if err != nil {
		return nil, err
	}
	c := &cluster{pgCtl: pgCtl, prefix: "t_"}
	var owner *user.User
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		if owner, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs the user postgres to own the test cluster: %w", err)
		}
		runuser, err := findRunuser()
		if err != nil {
			return nil, err
		}
		c.runAs = []string{runuser, "-u", owner.Username, "--"}
	}

	// A socket path must fit in 107 bytes.
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	reapOrphans(base, pgCtl, c.runAs)
	if c.dir, err = os.MkdirTemp(base, "tandem-pg-"); err != nil {
		return nil, fmt.Errorf("start test postgresql: %w", err)
	}
	started := false
	defer func() {
		if !started {
			c.stop()
		}
	}()
	// The owner's pid lets a later run clean up after a test binary that
	// died without reaching Main (panic, timeout).
	if err := os.WriteFile(filepath.Join(c.dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("start test postgresql: %w", err)
	}
	if owner != nil {
		if err := chownTree(c.dir, owner); err != nil {
			return nil, fmt.Errorf("start test postgresql: %w", err)
		}
	}

	data := filepath.Join(c.dir, "data")
	if err := c.run(initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		return nil, fmt.Errorf("initdb: %w", err)
	}
	conf := fmt.Sprintf(`
listen_addresses = ''
unix_socket_directories = '%s'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
wal_init_zero = off
max_wal_size = 1GB
max_connections = 300
shared_buffers = 32MB
`, c.dir)
	if err := appendFile(filepath.Join(data, "postgresql.conf"), conf); err != nil {
		return nil, fmt.Errorf("configure test postgresql: %w", err)
	}
	logFile := filepath.Join(c.dir, "postgres.log")
	if err := c.run(pgCtl, "-D", data, "-l", logFile, "-w", "-t", "60", "-s", "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("pg_ctl start: %w\n%s", err, tail(log, 2000))
	}
	c.adminURL = url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Path:     "/postgres",
		RawQuery: url.Values{"host": {c.dir}, "port": {"5432"}, "sslmode": {"disable"}}.Encode(),
	}
	if err := c.connect(); err != nil {
		return nil, err
	}
	started = true
	return c, nil
}

func (c *cluster) connect() error {
	admin, err := sql.Open("pgx", c.adminURL.String())
	if err != nil {
		return fmt.Errorf("connect to test postgresql: %w", err)
	}
	if err := admin.PingContext(context.Background()); err != nil {
		admin.Close()
		return fmt.Errorf("connect to test postgresql %s: %w", c.adminURL.Redacted(), err)
	}
	c.admin = admin
	return nil
}

// stopCluster stops the throwaway cluster, if any, and removes its files.
func stopCluster() error {
	if theCluster == nil {
		return nil
	}
	return theCluster.stop()
}

func (c *cluster) stop() error {
	var errs []error
	if c.admin != nil {
		if c.dir == "" && c.template != "" {
			// Only an external server outlives us.
			if _, err := c.admin.Exec("DROP DATABASE IF EXISTS " + c.template + " WITH (FORCE)"); err != nil {
				errs = append(errs, fmt.Errorf("drop template database: %w", err))
			}
		}
		errs = append(errs, c.admin.Close())
	}
	if c.dir == "" {
		return errors.Join(errs...)
	}
	data := filepath.Join(c.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		if err := c.run(c.pgCtl, "-D", data, "-m", "immediate", "-w", "-s", "stop"); err != nil {
			errs = append(errs, fmt.Errorf("pg_ctl stop: %w", err))
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// run runs a PostgreSQL program as the cluster's owner.
func (c *cluster) run(prog string, args ...string) error {
	return runAs(c.runAs, c.dir, prog, args...)
}

func runAs(prefix []string, dir, prog string, args ...string) error {
	argv := append(slices.Clone(prefix), prog)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	// The owner may not be allowed into the test's working directory.
	cmd.Dir = dir
	// PG* variables (PGHOST, PGPORT, PGDATA …) would point the tools elsewhere.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PG") })
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, tail(out.Bytes(), 2000))
	}
	return nil
}

// findBinaries finds initdb and pg_ctl on PATH, else in the newest
// /usr/lib/postgresql/VERSION/bin.
func findBinaries() (initdb, pgCtl string, err error) {
	if i, err := exec.LookPath("initdb"); err == nil {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			return i, p, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if executable(i) && executable(p) {
			return i, p, nil
		}
	}
	return "", "", errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package")
}

// pgVersion is the major version in /usr/lib/postgresql/VERSION/bin, 0 if none.
func pgVersion(binDir string) int {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return int(v * 100)
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func findRunuser() (string, error) {
	if p, err := exec.LookPath("runuser"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/runuser", "/sbin/runuser"} {
		if executable(p) {
			return p, nil
		}
	}
	return "", errors.New("running as root needs runuser (util-linux) to start the test postgresql as user postgres")
}

func chownTree(dir string, u *user.User) error {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("uid of %s: %w", u.Username, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("gid of %s: %w", u.Username, err)
	}
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

// reapOrphans stops the clusters and removes the directories that earlier
// test processes left behind when they died before Main could clean up.
func reapOrphans(base, pgCtl string, prefix []string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "tandem-pg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue // being set up, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		data := filepath.Join(dir, "data")
		if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
			_ = runAs(prefix, dir, pgCtl, "-D", data, "-m", "immediate", "-w", "-s", "stop")
		}
		_ = os.RemoveAll(dir)
	}
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tail returns the last n bytes of b, for error messages.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
