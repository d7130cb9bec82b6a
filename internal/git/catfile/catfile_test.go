package catfile_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tandem/internal/git/catfile"
	"tandem/internal/git/gittest"
)

func TestMain(m *testing.M) { gittest.Main(m) }

func open(t *testing.T, dir string) *catfile.Batch {
	t.Helper()
	b, err := catfile.Open(context.Background(), gittest.Runner(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBatch(t *testing.T) {
	dir := gittest.InitBare(t)
	commit := gittest.WriteCommit(t, dir, "refs/heads/main", "msg", map[string]string{"a.txt": "hello\n", "d/e": ""})
	blob := gittest.Exec(t, dir, "rev-parse", "main:a.txt")
	empty := gittest.Exec(t, dir, "rev-parse", "main:d/e")
	b := open(t, dir)

	tests := []struct {
		desc     string
		rev      string
		oid, typ string
		content  string // checked for blobs
		err      error
	}{
		{desc: "commit by ref", rev: "refs/heads/main", oid: commit, typ: "commit"},
		{desc: "commit by id", rev: commit, oid: commit, typ: "commit"},
		{desc: "blob by path", rev: "main:a.txt", oid: blob, typ: "blob", content: "hello\n"},
		{desc: "empty blob", rev: "main:d/e", oid: empty, typ: "blob", content: ""},
		{desc: "tree", rev: "main^{tree}", typ: "tree"},
		{desc: "missing ref", rev: "refs/heads/nope", err: catfile.ErrNotFound},
		{desc: "missing path", rev: "main:nope", err: catfile.ErrNotFound},
		{desc: "missing id", rev: "1111111111111111111111111111111111111111", err: catfile.ErrNotFound},
		{desc: "space in path", rev: "main:a b", err: catfile.ErrNotFound},
		{desc: "leading space", rev: " main", err: catfile.ErrNotFound},
		{desc: "newline", rev: "main\ninfo main", err: catfile.ErrInvalidRevision},
		{desc: "carriage return", rev: "main\r", err: catfile.ErrInvalidRevision},
		{desc: "NUL", rev: "main\x00x", err: catfile.ErrInvalidRevision},
		{desc: "empty", rev: "", err: catfile.ErrInvalidRevision},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			info, err := b.Info(tt.rev)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Info = %v, want %v", err, tt.err)
			}
			if err != nil {
				if _, _, err := b.Read(tt.rev); !errors.Is(err, tt.err) {
					t.Errorf("Read = %v, want %v", err, tt.err)
				}
				return
			}
			if (tt.oid != "" && info.OID != tt.oid) || info.Type != tt.typ {
				t.Errorf("Info = %+v, want %s %s", info, tt.oid, tt.typ)
			}
			rinfo, data, err := b.Read(tt.rev)
			if err != nil {
				t.Fatal(err)
			}
			if rinfo != info || int64(len(data)) != info.Size {
				t.Errorf("Read = %+v with %d bytes, Info = %+v", rinfo, len(data), info)
			}
			if tt.typ == "blob" && string(data) != tt.content {
				t.Errorf("content = %q, want %q", data, tt.content)
			}
		})
	}
	if b.Err() != nil {
		t.Errorf("batch broken after the table: %v", b.Err())
	}
}

func TestBatchSeesNewRefs(t *testing.T) {
	dir := gittest.InitBare(t)
	a := gittest.WriteCommit(t, dir, "refs/heads/main", "a", nil)
	b := open(t, dir)
	if info, err := b.Info("main"); err != nil || info.OID != a {
		t.Fatalf("Info(main) = %+v, %v", info, err)
	}
	c := gittest.WriteCommit(t, dir, "refs/heads/main", "c", map[string]string{"f": "c"}, a)
	if info, err := b.Info("main"); err != nil || info.OID != c {
		t.Errorf("after update: Info(main) = %+v, %v; want %s", info, err, c)
	}
	gittest.Exec(t, dir, "pack-refs", "--all")
	d := gittest.WriteCommit(t, dir, "", "d", map[string]string{"f": "d"}, c)
	gittest.Exec(t, dir, "update-ref", "refs/heads/main", d)
	gittest.Exec(t, dir, "repack", "-a", "-d", "-q")
	if info, err := b.Info("main"); err != nil || info.OID != d {
		t.Errorf("after pack: Info(main) = %+v, %v; want %s", info, err, d)
	}
}

func TestBatchClose(t *testing.T) {
	dir := gittest.InitBare(t)
	gittest.WriteCommit(t, dir, "refs/heads/main", "a", nil)
	b, err := catfile.Open(context.Background(), gittest.Runner(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := b.Info("main"); err == nil {
		t.Error("Info after Close succeeded")
	}
}

func TestBatchCancel(t *testing.T) {
	dir := gittest.InitBare(t)
	gittest.WriteCommit(t, dir, "refs/heads/main", "a", nil)
	ctx, cancel := context.WithCancel(context.Background())
	b, err := catfile.Open(ctx, gittest.Runner(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	// The process is killed: requests fail from then on instead of hanging.
	// One may still be answered before the kill lands, so retry (bounded).
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := b.Info("main")
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("batch still answers after its context was cancelled")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if b.Err() == nil {
		t.Error("Err() = nil after the failure")
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close after failure = %v", err)
	}
}

func TestOpenEnvQuarantine(t *testing.T) {
	dir := gittest.InitBare(t)
	quarantine := filepath.Join(dir, "objects", "incoming-1")
	env := []string{"GIT_OBJECT_DIRECTORY=" + quarantine, "GIT_ALTERNATE_OBJECT_DIRECTORIES=" + filepath.Join(dir, "objects")}
	if err := os.MkdirAll(quarantine, 0o755); err != nil {
		t.Fatal(err)
	}
	oid := gittest.ExecInput(t, dir, []byte("pushed\n"), env[:1], "hash-object", "-w", "--stdin")

	plain := open(t, dir)
	if _, err := plain.Info(oid); !errors.Is(err, catfile.ErrNotFound) {
		t.Errorf("quarantined object visible without env: %v", err)
	}
	q, err := catfile.OpenEnv(context.Background(), gittest.Runner(t), dir, env)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, data, err := q.Read(oid); err != nil || string(data) != "pushed\n" {
		t.Errorf("Read in quarantine = %q, %v", data, err)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestPool(t *testing.T) {
	r := gittest.Runner(t)
	dir1, dir2 := gittest.InitBare(t), gittest.InitBare(t)
	c1 := gittest.WriteCommit(t, dir1, "refs/heads/main", "1", nil)
	c2 := gittest.WriteCommit(t, dir2, "refs/heads/main", "2", map[string]string{"f": "2"})
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	p := catfile.NewPool(r, catfile.PoolOptions{IdleTimeout: time.Hour, MaxIdlePerDir: 2, Clock: clk})
	defer p.Close()

	get := func(dir, want string) *catfile.Batch {
		t.Helper()
		b, err := p.Get(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info, err := b.Info("main"); err != nil || info.OID != want {
			t.Fatalf("Info(main) in %s = %+v, %v", dir, info, err)
		}
		return b
	}

	b1 := get(dir1, c1)
	p.Put(b1)
	if again := get(dir1, c1); again != b1 {
		t.Error("Get after Put did not reuse the batch")
	} else {
		p.Put(again)
	}
	b2 := get(dir2, c2)
	if b2 == b1 {
		t.Fatal("batch of another repository reused")
	}
	p.Put(b2)
	if n := p.Idle(); n != 2 {
		t.Errorf("Idle = %d, want 2", n)
	}

	// At most MaxIdlePerDir are kept per repository.
	x, y, z := get(dir1, c1), get(dir1, c1), get(dir1, c1)
	p.Put(x)
	p.Put(y)
	p.Put(z)
	if n := p.Idle(); n != 3 {
		t.Errorf("Idle = %d, want 3 (2 for dir1, 1 for dir2)", n)
	}
	if z.Err() == nil {
		t.Error("batch beyond MaxIdlePerDir was not closed")
	}

	// A broken batch is not kept.
	broken := get(dir2, c2)
	broken.Close()
	p.Put(broken)
	if n := p.Idle(); n != 2 {
		t.Errorf("Idle = %d after putting a closed batch, want 2", n)
	}

	// Idle batches are closed after the timeout.
	clk.Advance(30 * time.Minute)
	fresh := get(dir2, c2)
	p.Put(fresh)
	clk.Advance(45 * time.Minute)
	p.Sweep()
	if n := p.Idle(); n != 1 {
		t.Errorf("Idle after sweep = %d, want 1", n)
	}
	if x.Err() == nil || fresh.Err() != nil {
		t.Errorf("sweep closed the wrong batches: old %v, fresh %v", x.Err(), fresh.Err())
	}

	out := get(dir1, c1)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if fresh.Err() == nil {
		t.Error("Close left an idle batch open")
	}
	if _, err := p.Get(dir1); !errors.Is(err, catfile.ErrPoolClosed) {
		t.Errorf("Get after Close = %v", err)
	}
	p.Put(out) // closed, not kept
	if out.Err() == nil {
		t.Error("batch put after Close was kept open")
	}
}

func TestPoolConcurrent(t *testing.T) {
	r := gittest.Runner(t)
	dir := gittest.InitBare(t)
	c := gittest.WriteCommit(t, dir, "refs/heads/main", "1", nil)
	p := catfile.NewPool(r, catfile.PoolOptions{})
	defer p.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				b, err := p.Get(dir)
				if err != nil {
					errs <- err
					return
				}
				info, err := b.Info("main")
				p.Put(b)
				if err != nil || info.OID != c {
					errs <- errors.Join(err, errors.New("wrong oid "+info.OID))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := p.Idle(); n > 4 {
		t.Errorf("Idle = %d, want at most 4", n)
	}
}

// BenchmarkInfo is the cost of one object lookup on a warm Batch; compare
// with git.BenchmarkRun, which starts a process per lookup.
func BenchmarkInfo(b *testing.B) {
	dir := gittest.InitBare(b)
	oid := gittest.WriteCommit(b, dir, "refs/heads/main", "c", nil)
	bt, err := catfile.Open(context.Background(), gittest.Runner(b), dir)
	if err != nil {
		b.Fatal(err)
	}
	defer bt.Close()
	for b.Loop() {
		if _, err := bt.Info(oid); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInfos asks for more objects than a pipe holds answers for in one
// call, mixing present and missing ones, and checks the Batch still works
// afterwards.
func TestInfos(t *testing.T) {
	dir := gittest.InitBare(t)
	commit := gittest.WriteCommit(t, dir, "refs/heads/main", "msg", map[string]string{"a.txt": "hello\n"})
	blob := gittest.Exec(t, dir, "rev-parse", "main:a.txt")
	b := open(t, dir)

	var revs []string
	for i := 0; i < 5000; i++ {
		revs = append(revs, commit, "refs/heads/main", fmt.Sprintf("%040x", i+1), blob)
	}
	infos, err := b.Infos(revs)
	if err != nil {
		t.Fatal(err)
	}
	for i, info := range infos {
		want := []string{"commit", "commit", "", "blob"}[i%4]
		if info.Type != want {
			t.Fatalf("Infos[%d] (%s) = %+v, want type %q", i, revs[i], info, want)
		}
	}
	if _, err := b.Infos([]string{commit, "bad\nrev"}); !errors.Is(err, catfile.ErrInvalidRevision) {
		t.Errorf("Infos(newline) = %v, want ErrInvalidRevision", err)
	}
	if info, err := b.Info(commit); err != nil || info.OID != commit {
		t.Errorf("Info after Infos = %+v, %v", info, err)
	}
}
