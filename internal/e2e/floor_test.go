package e2e

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"
)

// The floor servers measure what a transport costs the git client itself.
// They answer each request with the answer Tandem gave to the identical
// request moments before, recorded through them, and spend no time of
// their own: no authentication lookup, no git process, no database. A
// fetch through them takes what the client's remote helper or ssh, the
// connection and the round trips take; no server can do better, so it is
// the floor of a transport, against which Tandem's own share is measured.
// A benchmark records an operation into a scratch copy of the client's
// repository, then times the same operation, which now sends the same
// requests, against the recording.

// floor is a server that records Tandem's answers, then replays them.
type floor interface {
	record() // forget earlier answers and record new ones
	replay() // answer from the recording alone
}

// httpFloor is the floor of git's smart HTTP.
type httpFloor struct {
	upstream  string // Tandem's web address
	url       string // the floor's own
	client    *http.Client
	mu        sync.Mutex
	recording bool
	answers   map[string]answer
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func newHTTPFloor(b *testing.B, upstream string) *httpFloor {
	b.Helper()
	f := &httpFloor{
		upstream: strings.TrimSuffix(upstream, "/"),
		// Bodies pass as they are, compressed or not.
		client:  &http.Client{Transport: &http.Transport{DisableCompression: true}},
		answers: map[string]answer{},
	}
	srv := httptest.NewServer(f)
	b.Cleanup(srv.Close)
	f.url = srv.URL + "/"
	return f
}

func (f *httpFloor) record() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recording, f.answers = true, map[string]answer{}
}

func (f *httpFloor) replay() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recording = false
}

// gitURL is a project's git URL through the floor, credentials embedded.
func (f *httpFloor) gitURL(user, password, project string) string {
	return strings.Replace(f.url, "http://", "http://"+user+":"+password+"@", 1) + project
}

func (f *httpFloor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sum := sha256.Sum256(body)
	key := strings.Join([]string{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"),
		r.Header.Get("Git-Protocol"), r.Header.Get("Content-Encoding"), hex.EncodeToString(sum[:])}, "\n")
	f.mu.Lock()
	recording := f.recording
	a, ok := f.answers[key]
	f.mu.Unlock()
	if recording {
		if a, err = f.forward(r, body); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		f.mu.Lock()
		f.answers[key] = a
		f.mu.Unlock()
	} else if !ok {
		http.Error(w, "floor: no recorded answer to "+r.Method+" "+r.URL.RequestURI(), http.StatusInternalServerError)
		return
	}
	maps.Copy(w.Header(), a.header)
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// forward asks Tandem.
func (f *httpFloor) forward(r *http.Request, body []byte) (answer, error) {
	req, err := http.NewRequest(r.Method, f.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header = r.Header.Clone()
	resp, err := f.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, data}, err
}

// sshFloor is the floor of git over SSH: an SSH server built on the same
// library as Tandem's, offering the key exchange Tandem's defaults agree
// on with OpenSSH, that accepts any key and replays the byte stream of a
// recorded session.
type sshFloor struct {
	upstream  string // Tandem's SSH address
	client    *ssh.ClientConfig
	config    *ssh.ServerConfig
	port      string
	mu        sync.Mutex
	recording bool
	sessions  map[string][]chunk // by command and GIT_PROTOCOL
}

// chunk is a stretch of a session's stream in one direction.
type chunk struct {
	fromClient bool
	data       []byte
}

func newSSHFloor(b *testing.B, s *server) *sshFloor {
	b.Helper()
	keyPEM, err := os.ReadFile(s.adminKey)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(keyPEM)
	if err != nil {
		b.Fatal(err)
	}
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	hostKey, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		b.Fatal(err)
	}
	config := &ssh.ServerConfig{
		Config:            ssh.Config{KeyExchanges: []string{ssh.KeyExchangeECDHP256}},
		PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) { return nil, nil },
	}
	config.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	f := &sshFloor{
		upstream: "127.0.0.1:" + s.sshPort,
		client: &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey()},
		config:   config,
		port:     fmt.Sprint(ln.Addr().(*net.TCPAddr).Port),
		sessions: map[string][]chunk{},
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *sshFloor) record() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recording, f.sessions = true, map[string][]chunk{}
}

func (f *sshFloor) replay() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recording = false
}

// gitURL is a project's git URL through the floor.
func (f *sshFloor) gitURL(project string) string {
	return "ssh://admin@127.0.0.1:" + f.port + "/" + project
}

func (f *sshFloor) serve(conn net.Conn) {
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		return
	}
	sc, chans, reqs, err := ssh.NewServerConn(quickAckConn{conn, raw}, f.config)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go f.session(ch, chReqs)
	}
}

// session waits for the client's exec, then records or replays it.
func (f *sshFloor) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	protocol := ""
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name == "GIT_PROTOCOL" {
				protocol = kv.Value
			}
			req.Reply(true, nil)
		case "exec":
			var cmd struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			go ssh.DiscardRequests(reqs)
			f.mu.Lock()
			recording, recorded := f.recording, f.sessions[cmd.Command+"\n"+protocol]
			f.mu.Unlock()
			status := 0
			if recording {
				status = f.forward(ch, cmd.Command, protocol)
			} else if err := replayStream(ch, recorded); err != nil {
				fmt.Fprintf(ch.Stderr(), "floor: %v\n", err)
				status = 1
			}
			// As Tandem ends a session: EOF, the status, close.
			ch.CloseWrite()
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// forward runs the command on Tandem, relaying and recording the stream.
func (f *sshFloor) forward(ch ssh.Channel, command, protocol string) int {
	fail := func(err error) int {
		fmt.Fprintf(ch.Stderr(), "floor: %v\n", err)
		return 1
	}
	client, err := ssh.Dial("tcp", f.upstream, f.client)
	if err != nil {
		return fail(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return fail(err)
	}
	if protocol != "" {
		if err := sess.Setenv("GIT_PROTOCOL", protocol); err != nil {
			return fail(err)
		}
	}
	var (
		mu     sync.Mutex
		stream []chunk
	)
	log := func(fromClient bool, p []byte) {
		mu.Lock()
		defer mu.Unlock()
		if n := len(stream); n > 0 && stream[n-1].fromClient == fromClient {
			stream[n-1].data = append(stream[n-1].data, p...)
		} else {
			stream = append(stream, chunk{fromClient, bytes.Clone(p)})
		}
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return fail(err)
	}
	sess.Stdout = writerFunc(func(p []byte) (int, error) { log(false, p); return ch.Write(p) })
	sess.Stderr = ch.Stderr()
	if err := sess.Start(command); err != nil {
		return fail(err)
	}
	go func() {
		io.Copy(writerFunc(func(p []byte) (int, error) { log(true, p); return stdin.Write(p) }), ch)
		stdin.Close()
	}()
	status := 0
	if err := sess.Wait(); err != nil {
		status = 1
		if ee, ok := err.(*ssh.ExitError); ok {
			status = ee.ExitStatus()
		}
	}
	f.mu.Lock()
	mu.Lock()
	f.sessions[command+"\n"+protocol] = stream
	mu.Unlock()
	f.mu.Unlock()
	return status
}

// replayStream plays the server's side of a recorded stream, checking
// that the client sends what it sent then.
func replayStream(ch ssh.Channel, stream []chunk) error {
	if len(stream) == 0 {
		return fmt.Errorf("no recorded session")
	}
	for _, c := range stream {
		if !c.fromClient {
			if _, err := ch.Write(c.data); err != nil {
				return err
			}
			continue
		}
		got := make([]byte, len(c.data))
		if _, err := io.ReadFull(ch, got); err != nil {
			return err
		}
		if !bytes.Equal(got, c.data) {
			return fmt.Errorf("the client's request differs from the recorded one")
		}
	}
	return nil
}

// quickAckConn acknowledges incoming data at once, as Tandem's SSH server
// does, so that the client's small packets do not wait for a delayed ACK.
type quickAckConn struct {
	net.Conn
	raw syscall.RawConn
}

func (c quickAckConn) Read(p []byte) (int, error) {
	c.raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
	return c.Conn.Read(p)
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }
