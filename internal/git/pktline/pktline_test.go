package pktline_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"tandem/internal/git"
	"tandem/internal/git/gittest"
	"tandem/internal/git/pktline"
)

func TestMain(m *testing.M) { gittest.Main(m) }

type packet struct {
	kind pktline.Kind
	data string
}

func TestRoundTrip(t *testing.T) {
	big := strings.Repeat("x", pktline.MaxPayload)
	tests := []struct {
		desc    string
		packets []packet
		wire    string // expected encoding; "" = not checked
	}{
		{"one line", []packet{{pktline.Data, "hello\n"}}, "000ahello\n"},
		{"empty data", []packet{{pktline.Data, ""}}, "0004"},
		{"specials", []packet{{pktline.Flush, ""}, {pktline.Delim, ""}, {pktline.ResponseEnd, ""}}, "000000010002"},
		{"v2 request", []packet{{pktline.Data, "command=ls-refs\n"}, {pktline.Delim, ""}, {pktline.Data, "peel\n"}, {pktline.Flush, ""}},
			"0014command=ls-refs\n00010009peel\n0000"},
		{"binary", []packet{{pktline.Data, "\x00\x01\xff"}}, "0007\x00\x01\xff"},
		{"largest", []packet{{pktline.Data, big}}, "fff0" + big},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var buf bytes.Buffer
			for _, p := range tt.packets {
				var err error
				switch p.kind {
				case pktline.Data:
					err = pktline.WriteString(&buf, p.data)
				case pktline.Flush:
					err = pktline.WriteFlush(&buf)
				case pktline.Delim:
					err = pktline.WriteDelim(&buf)
				case pktline.ResponseEnd:
					err = pktline.WriteResponseEnd(&buf)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if tt.wire != "" && buf.String() != tt.wire {
				t.Errorf("wire = %.40q, want %.40q", buf.String(), tt.wire)
			}
			r := pktline.NewReader(&buf)
			for i, want := range tt.packets {
				kind, data, err := r.Next()
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if kind != want.kind || string(data) != want.data {
					t.Errorf("packet %d = %s %.40q, want %s %.40q", i, kind, data, want.kind, want.data)
				}
			}
			if _, _, err := r.Next(); err != io.EOF {
				t.Errorf("after last packet: %v, want io.EOF", err)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := pktline.Write(&buf, make([]byte, pktline.MaxPayload+1)); !errors.Is(err, pktline.ErrTooLong) {
		t.Errorf("Write(too long) = %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes of a refused packet", buf.Len())
	}
	if err := pktline.Writef(&buf, "%s %d\n", "want", 1); err != nil || buf.String() != "000bwant 1\n" {
		t.Errorf("Writef = %q, %v", buf.String(), err)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		desc  string
		input string
		want  error
	}{
		{"non-hex length", "00zz", pktline.ErrInvalid},
		{"length 3", "0003", pktline.ErrInvalid},
		{"too long", "fff1" + strings.Repeat("x", 65520), pktline.ErrInvalid},
		{"short header", "00", io.ErrUnexpectedEOF},
		{"truncated payload", "000ahel", io.ErrUnexpectedEOF},
		{"header only", "000a", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, _, err := pktline.NewReader(strings.NewReader(tt.input)).Next()
			if !errors.Is(err, tt.want) {
				t.Errorf("Next = %v, want %v", err, tt.want)
			}
		})
	}
	kind, data, err := pktline.NewReader(strings.NewReader("000AHELLO\n")).Next()
	if err != nil || kind != pktline.Data || string(data) != "HELLO\n" {
		t.Errorf("upper-case length: %s %q %v", kind, data, err)
	}
}

func TestNoReadAhead(t *testing.T) {
	in := strings.NewReader("0009want\n0000PACKDATA")
	r := pktline.NewReader(in)
	for range 2 {
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	rest, _ := io.ReadAll(in)
	if string(rest) != "PACKDATA" {
		t.Errorf("rest = %q, want PACKDATA", rest)
	}
}

func TestSideband(t *testing.T) {
	var buf bytes.Buffer
	msg := strings.Repeat("abcdefghij", 250) // 2500 bytes: three small packets
	w := pktline.NewSidebandWriter(&buf, pktline.BandProgress, pktline.MaxSideband)
	if n, err := io.WriteString(w, msg); n != len(msg) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	d := pktline.NewSidebandWriter(&buf, pktline.BandData, pktline.MaxSideband64k)
	io.WriteString(d, "PACK")
	pktline.WriteFlush(&buf)

	var sizes []int
	r := pktline.NewReader(bytes.NewReader(buf.Bytes()))
	for {
		kind, p, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if kind == pktline.Flush {
			break
		}
		sizes = append(sizes, len(p)+4)
	}
	if len(sizes) != 4 || sizes[0] != 1000 || sizes[1] != 1000 {
		t.Errorf("packet sizes = %v, want 1000, 1000, 515, 9", sizes)
	}

	var data, progress bytes.Buffer
	if err := pktline.Demux(pktline.NewReader(&buf), &data, &progress); err != nil {
		t.Fatal(err)
	}
	if progress.String() != msg || data.String() != "PACK" {
		t.Errorf("demux: data %q, progress %d bytes", data.String(), progress.Len())
	}

	buf.Reset()
	pktline.NewSidebandWriter(&buf, pktline.BandError, 0).Write([]byte("access denied"))
	var re *pktline.RemoteError
	if err := pktline.Demux(pktline.NewReader(&buf), nil, nil); !errors.As(err, &re) || re.Msg != "access denied" {
		t.Errorf("Demux(error band) = %v", err)
	}
	if err := pktline.Demux(pktline.NewReader(strings.NewReader("0006\x09x")), nil, nil); !errors.Is(err, pktline.ErrInvalid) {
		t.Errorf("Demux(band 9) = %v", err)
	}
}

// TestGitAdvertisement parses what real git writes.
func TestGitAdvertisement(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	oid := gittest.WriteCommit(t, repo, "refs/heads/main", "c", nil)
	out, err := r.Output(context.Background(), git.Cmd{Dir: repo, Name: "upload-pack", Flags: []string{"--advertise-refs"}})
	if err != nil {
		t.Fatal(err)
	}
	pr := pktline.NewReader(bytes.NewReader(out))
	var lines []string
	for {
		kind, p, err := pr.Next()
		if err != nil {
			t.Fatalf("Next after %q: %v", lines, err)
		}
		if kind == pktline.Flush {
			break
		}
		lines = append(lines, string(p))
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], oid+" HEAD\x00") || lines[1] != oid+" refs/heads/main\n" {
		t.Errorf("advertisement = %q", lines)
	}
}
