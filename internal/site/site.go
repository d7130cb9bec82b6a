// Package site owns a Tandem site directory and its configuration file,
// SITE/etc/tandem.config (git-config syntax, Gerrit's key names).
//
// A Config is an immutable value: Load reads and validates it once and every
// component receives the fields it needs. Nothing here is mutable at run time.
package site

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"tandem/internal/gitconfig"
)

// ConfigFile is the configuration file's path relative to the site.
const ConfigFile = "etc/tandem.config"

// ErrNoConfig reports a site without a configuration file.
var ErrNoConfig = errors.New("no configuration file")

// Config is the typed site configuration.
type Config struct {
	Dir             string // absolute site directory
	BasePath        string // absolute root of the bare repositories
	CanonicalWebURL string // always ends with "/"
	ServerID        string

	Listen Listen // httpd.listenUrl

	SSHListen     string // "" when sshd.listenAddress = off
	SSHAdvertised string // HOST:PORT shown to users
	// The values of sshd.kex, sshd.cipher and sshd.mac, each a Gerrit list
	// of NAME, +NAME and -NAME entries; sshd checks the names.
	SSHKex, SSHCiphers, SSHMACs []string

	DatabaseType string // "sqlite" or "postgresql"
	DatabaseURL  string // postgresql only
	DatabasePath string // sqlite only: absolute file path

	NodeID string

	// CacheLimits holds cache.NAME.memoryLimit values by cache name.
	CacheLimits map[string]int64

	AuthType       string // "HTTP_PASSWORD" or "HTTP"
	AuthHTTPHeader string // auth.httpHeader for auth.type = HTTP

	// Archives are the download.archive formats (tar, tgz, tbz2, txz)
	// revisions may be downloaded as; nil when unset, which means every
	// format the machine can write.
	Archives []string
}

// Listen is a parsed httpd.listenUrl.
type Listen struct {
	Proxy bool   // proxy-http: trust X-Forwarded-* headers
	Addr  string // host:port for net.Listen; "*" becomes all interfaces
	Path  string // context path, "/" by default
}

// Path returns an absolute path inside the site directory.
func (c *Config) Path(rel string) string { return filepath.Join(c.Dir, rel) }

// CacheLimit returns cache.NAME.memoryLimit, or def when not configured.
func (c *Config) CacheLimit(name string, def int64) int64 {
	if v, ok := c.CacheLimits[name]; ok {
		return v
	}
	return def
}

// Load reads and validates SITE/etc/tandem.config.
func Load(dir string) (*Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(abs, ConfigFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (run tandem init -d %s first)", path, ErrNoConfig, dir)
	}
	if err != nil {
		return nil, err
	}
	raw, err := gitconfig.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c, err := fromGitConfig(abs, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func fromGitConfig(dir string, raw *gitconfig.Config) (*Config, error) {
	get := func(section, key, def string) string {
		if v, ok := raw.Get(section, "", key); ok && v != "" {
			return v
		}
		return def
	}
	c := &Config{
		Dir:            dir,
		ServerID:       get("gerrit", "serverId", ""),
		DatabaseType:   strings.ToLower(get("database", "type", "sqlite")),
		DatabaseURL:    get("database", "url", ""),
		AuthType:       strings.ToUpper(get("auth", "type", "HTTP_PASSWORD")),
		AuthHTTPHeader: get("auth", "httpHeader", "Authorization"),
		CacheLimits:    map[string]int64{},
	}

	c.BasePath = c.abs(get("gerrit", "basePath", "git"))

	listen, err := ParseListenURL(get("httpd", "listenUrl", "http://*:8080/"))
	if err != nil {
		return nil, fmt.Errorf("httpd.listenUrl: %w", err)
	}
	c.Listen = listen

	c.CanonicalWebURL = get("gerrit", "canonicalWebUrl", "")
	if c.CanonicalWebURL == "" {
		c.CanonicalWebURL = defaultWebURL(listen)
	}
	if u, err := url.Parse(c.CanonicalWebURL); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("gerrit.canonicalWebUrl: %q is not an absolute URL", c.CanonicalWebURL)
	}
	if !strings.HasSuffix(c.CanonicalWebURL, "/") {
		c.CanonicalWebURL += "/"
	}

	sshListen := get("sshd", "listenAddress", "*:29418")
	if strings.EqualFold(sshListen, "off") {
		sshListen = ""
	} else {
		if _, _, err := net.SplitHostPort(sshListen); err != nil {
			return nil, fmt.Errorf("sshd.listenAddress: %q is not HOST:PORT", sshListen)
		}
		sshListen = strings.Replace(sshListen, "*:", ":", 1)
	}
	c.SSHListen = sshListen
	c.SSHAdvertised = get("sshd", "advertisedAddress", "")
	c.SSHKex = raw.GetAll("sshd", "", "kex")
	c.SSHCiphers = raw.GetAll("sshd", "", "cipher")
	c.SSHMACs = raw.GetAll("sshd", "", "mac")
	if c.SSHAdvertised == "" && sshListen != "" {
		c.SSHAdvertised = advertised(sshListen, c.CanonicalWebURL)
	}

	switch c.DatabaseType {
	case "sqlite":
		c.DatabasePath = c.abs(get("database", "path", "db/tandem.db"))
	case "postgresql", "postgres":
		c.DatabaseType = "postgresql"
		if c.DatabaseURL == "" {
			return nil, errors.New("database.url is required when database.type = postgresql")
		}
	default:
		return nil, fmt.Errorf("database.type: %q is not sqlite or postgresql", c.DatabaseType)
	}

	switch c.AuthType {
	case "HTTP_PASSWORD", "HTTP":
	default:
		return nil, fmt.Errorf("auth.type: %q is not HTTP_PASSWORD or HTTP", c.AuthType)
	}

	c.NodeID = get("cluster", "nodeId", "")
	if c.NodeID == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "tandem"
		}
		c.NodeID = host
	}

	if values := raw.GetAll("download", "", "archive"); len(values) > 0 {
		c.Archives = []string{}
		off := false
		for _, v := range values {
			switch v = strings.ToLower(strings.TrimSpace(v)); v {
			case "", "off":
				off = true
			case "tar", "tgz", "tbz2", "txz":
				c.Archives = append(c.Archives, v)
			case "zip":
				// Gerrit lists zip but refuses it; so does Tandem.
			default:
				return nil, fmt.Errorf("download.archive: %q is not tar, tgz, tbz2, txz or zip", v)
			}
		}
		if off {
			c.Archives = []string{}
		}
	}

	for _, name := range raw.Subsections("cache") {
		if _, ok := raw.Get("cache", name, "memoryLimit"); !ok {
			continue
		}
		n, err := raw.Int("cache", name, "memoryLimit", 0)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("cache.%s.memoryLimit: not a non-negative number", name)
		}
		c.CacheLimits[name] = n
	}
	return c, nil
}

func (c *Config) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.Dir, p)
}

// ParseListenURL parses an httpd.listenUrl such as "http://*:8080/" or
// "proxy-http://127.0.0.1:8080/r/".
func ParseListenURL(s string) (Listen, error) {
	u, err := url.Parse(strings.Replace(s, "://*", "://0.0.0.0", 1))
	if err != nil {
		return Listen{}, fmt.Errorf("%q: %v", s, err)
	}
	var l Listen
	switch u.Scheme {
	case "http":
	case "proxy-http":
		l.Proxy = true
	default:
		return Listen{}, fmt.Errorf("%q: scheme must be http or proxy-http", s)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return Listen{}, fmt.Errorf("%q: bad port", s)
	}
	host := u.Hostname()
	if host == "0.0.0.0" && strings.Contains(s, "://*") {
		host = ""
	}
	l.Addr = net.JoinHostPort(host, port)
	l.Path = u.Path
	if l.Path == "" {
		l.Path = "/"
	}
	if !strings.HasSuffix(l.Path, "/") {
		l.Path += "/"
	}
	return l, nil
}

func defaultWebURL(l Listen) string {
	host, port, _ := net.SplitHostPort(l.Addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		if h, err := os.Hostname(); err == nil {
			host = h
		} else {
			host = "localhost"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + l.Path
}

// advertised derives the SSH address shown to users from the listen address
// and the web URL's host when the listen host is a wildcard.
func advertised(listen, web string) string {
	host, port, _ := net.SplitHostPort(listen)
	if host == "" || host == "0.0.0.0" || host == "::" {
		if u, err := url.Parse(web); err == nil {
			host = u.Hostname()
		}
	}
	return net.JoinHostPort(host, port)
}

// NewServerID returns a fresh random server id.
func NewServerID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
