package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/events"
	"tandem/internal/events/webhooks"
	"tandem/internal/git/gittest"
	"tandem/internal/git/repo"
	"tandem/internal/project"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// poster posts over net/http, as the daemon's does.
type poster struct{}

func (poster) Post(ctx context.Context, r webhooks.Request) error {
	ctx, cancel := context.WithTimeout(ctx, r.ConnectionTimeout+r.SocketTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// endpoint records what it was posted and answers with the statuses
// given, one per request, then 200.
type endpoint struct {
	mu       sync.Mutex
	statuses map[string][]int
	got      map[string][]string // path -> event types posted
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var h events.Header
	json.Unmarshal(body, &h)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got[r.URL.Path] = append(e.got[r.URL.Path], h.Type)
	status := 200
	if s := e.statuses[r.URL.Path]; len(s) > 0 {
		status, e.statuses[r.URL.Path] = s[0], s[1:]
	}
	if r.Header.Get("Content-Type") != "application/json" {
		status = 415
	}
	w.WriteHeader(status)
}

func (e *endpoint) posted(path string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got[path]...)
}

// site is a project service on real git repositories and a database.
type site struct {
	db       *db.DB
	projects *project.Service
}

func newSite(t *testing.T, d *db.DB) *site {
	t.Helper()
	ctx := context.Background()
	runner := gittest.Runner(t)
	repos := repo.NewStore(t.TempDir(), runner)
	t.Cleanup(func() { repos.Close() })
	svc := project.New(project.Options{DB: d, Repos: repos, Runner: runner, Logger: slog.New(slog.DiscardHandler)})
	if err := svc.CreateRoot(ctx, project.AllProjects, project.DefaultAllProjects(project.GroupRef{}, project.GroupRef{}, project.GroupRef{})); err != nil {
		t.Fatal(err)
	}
	return &site{db: d, projects: svc}
}

// setWebhooks commits a webhooks.config to the project's refs/meta/config.
func (s *site) setWebhooks(t *testing.T, name, text string) {
	t.Helper()
	ctx := context.Background()
	r, err := s.projects.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	old, err := r.Resolve(ctx, project.ConfigRef)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{webhooks.FileName: []byte(text)}
	for _, f := range []string{"project.config", "groups"} {
		if b, err := r.ReadFile(ctx, old, f); err == nil {
			files[f] = b
		}
	}
	who := repo.Ident{Name: "Admin", Email: "admin@example.com"}
	if _, err := r.CommitFiles(ctx, repo.CommitInput{Ref: project.ConfigRef, ExpectedOld: old, Parents: []string{old},
		Files: files, Message: "Set webhooks", Author: who, Committer: who}); err != nil {
		t.Fatal(err)
	}
}

func refUpdated(project, ref string) *events.RefUpdated {
	return &events.RefUpdated{RefUpdate: events.RefUpdateAttr{OldRev: "0000000000000000000000000000000000000000",
		NewRev: "1111111111111111111111111111111111111111", RefName: ref, Project: project}}
}

type delivery struct {
	path     string
	attempts int
	state    string
}

// deliveries lists webhook_deliveries by event id and url path.
func deliveries(t *testing.T, d *db.DB, base string) map[string]delivery {
	t.Helper()
	rows, err := d.Query(context.Background(), `SELECT e.type, e.project, w.url, w.attempts, w.state
		FROM webhook_deliveries w JOIN events e ON e.id = w.event_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]delivery{}
	for rows.Next() {
		var typ, proj, url string
		var dl delivery
		if err := rows.Scan(&typ, &proj, &url, &dl.attempts, &dl.state); err != nil {
			t.Fatal(err)
		}
		dl.path = url[len(base):]
		out[proj+" "+typ+" "+dl.path] = dl
	}
	return out
}

// TestWorkerDeliversRetriesAndResumes: events are posted to the remotes of
// their project (inherited ones included) that take their type; a failed
// attempt is retried after retryInterval, also by a new worker after a
// restart; maxTries failures end in FAILED.
func TestWorkerDeliversRetriesAndResumes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSite(t, d)
		ep := &endpoint{statuses: map[string][]int{"/flaky": {500}, "/down": {500, 503, 500}}, got: map[string][]string{}}
		srv := httptest.NewServer(ep)
		defer srv.Close()
		for _, p := range []string{"p", "q"} {
			if err := s.projects.Create(ctx, project.Input{Name: p}); err != nil {
				t.Fatal(err)
			}
		}
		s.setWebhooks(t, project.AllProjects, fmt.Sprintf("[remote \"all\"]\n\turl = %s/all\n\tevent = ref-updated\n", srv.URL))
		s.setWebhooks(t, "p", fmt.Sprintf("[remote \"flaky\"]\n\turl = %s/flaky\n\tretryInterval = 1000\n"+
			"[remote \"down\"]\n\turl = %s/down\n\tmaxTries = 2\n\tretryInterval = 1000\n\tevent = project-created\n", srv.URL, srv.URL))

		clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		log := events.NewLog(events.Options{DB: d, Clock: clk})
		newWorker := func() *webhooks.Worker {
			return webhooks.New(webhooks.Options{DB: d, Log: log, Projects: s.projects, Poster: poster{}, Clock: clk})
		}
		step := func(w *webhooks.Worker) time.Time {
			t.Helper()
			next, err := w.Step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return next
		}

		// Events from before the first worker started are not posted.
		if err := log.Publish(ctx, refUpdated("p", "refs/heads/before")); err != nil {
			t.Fatal(err)
		}
		w := newWorker()
		step(w)
		if err := log.Publish(ctx, refUpdated("p", "refs/heads/main"), refUpdated("q", "refs/heads/main"),
			&events.ProjectCreated{ProjectName: "p", ProjectHead: "refs/heads/main"}); err != nil {
			t.Fatal(err)
		}
		next := step(w)
		if want := clk.Now().Add(time.Second); !next.Equal(want) {
			t.Errorf("next retry at %v, want %v (retryInterval after the failures)", next, want)
		}
		want := map[string]delivery{
			"p ref-updated /all":       {"/all", 1, "DONE"},
			"q ref-updated /all":       {"/all", 1, "DONE"},
			"p ref-updated /flaky":     {"/flaky", 1, "PENDING"}, // first request answered 500
			"p project-created /flaky": {"/flaky", 1, "DONE"},
			"p project-created /down":  {"/down", 1, "PENDING"},
		}
		if got := deliveries(t, d, srv.URL); !equal(got, want) {
			t.Fatalf("after the first round:\n got %v\nwant %v", got, want)
		}

		// A restart: a new worker finds the pending rows; nothing is due
		// before retryInterval has passed.
		w = newWorker()
		step(w)
		if got := ep.posted("/flaky"); len(got) != 2 {
			t.Fatalf("posts to /flaky before the retry is due: %v, want 2", got)
		}
		clk.Advance(time.Second)
		next = step(w)
		if !next.IsZero() {
			t.Errorf("next retry at %v after the last attempts, want none", next)
		}
		want["p ref-updated /flaky"] = delivery{"/flaky", 2, "DONE"}
		want["p project-created /down"] = delivery{"/down", 2, "FAILED"} // maxTries = 2
		if got := deliveries(t, d, srv.URL); !equal(got, want) {
			t.Fatalf("after the retry:\n got %v\nwant %v", got, want)
		}
		if got, want := fmt.Sprint(ep.posted("/all")), "[ref-updated ref-updated]"; got != want {
			t.Errorf("posted to /all: %s, want %s", got, want)
		}
		if got := ep.posted("/down"); len(got) != 2 {
			t.Errorf("posted to /down %d times, want 2 (maxTries)", len(got))
		}

		// Nothing more happens; a worker stepping again posts nothing twice.
		clk.Advance(time.Hour)
		step(newWorker())
		if n := len(ep.posted("/all")) + len(ep.posted("/flaky")) + len(ep.posted("/down")); n != 7 {
			t.Errorf("%d posts in all, want 7", n)
		}
	})
}

func equal(a, b map[string]delivery) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRunStopsWithContext: Run returns when its context ends.
func TestRunStopsWithContext(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	s := newSite(t, d)
	log := events.NewLog(events.Options{DB: d})
	w := webhooks.New(webhooks.Options{DB: d, Log: log, Projects: s.projects, Poster: poster{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}
