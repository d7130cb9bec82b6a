package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"tandem/internal/events/webhooks"
)

// webhookPoster posts webhook requests over HTTP; it is webhooks.Poster.
// It keeps one client per combination of a remote's settings, so
// connections to an endpoint are reused.
type webhookPoster struct {
	mu      sync.Mutex
	clients map[webhookSettings]*http.Client
}

type webhookSettings struct {
	connect, socket time.Duration
	verify          bool
}

func newWebhookPoster() *webhookPoster {
	return &webhookPoster{clients: map[webhookSettings]*http.Client{}}
}

func (p *webhookPoster) client(s webhookSettings) *http.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[s]; ok {
		return c
	}
	dialer := &net.Dialer{Timeout: s.connect}
	c := &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   s.connect,
			ResponseHeaderTimeout: s.socket,
			TLSClientConfig:       &tls.Config{InsecureSkipVerify: !s.verify},
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       time.Minute,
		},
		// Bounds the whole exchange, body included.
		Timeout: s.connect + s.socket,
		// A redirected POST would turn into a GET; report it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	p.clients[s] = c
	return c
}

// Post sends the event's JSON; any answer but 2xx is an error.
func (p *webhookPoster) Post(ctx context.Context, r webhooks.Request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tandem/"+Version)
	// Delivery is at least once; receivers may drop repeats by this id.
	req.Header.Set("X-Tandem-Event-Id", strconv.FormatInt(r.EventID, 10))
	resp, err := p.client(webhookSettings{r.ConnectionTimeout, r.SocketTimeout, r.SSLVerify}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
