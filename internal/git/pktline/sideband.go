package pktline

import (
	"errors"
	"fmt"
	"io"
)

// Side-band channels.
const (
	BandData     byte = 1 // pack data
	BandProgress byte = 2 // progress and "remote:" messages, shown to the user
	BandError    byte = 3 // a fatal error message; the stream ends
)

// Largest data in one side-band packet (the band byte takes one).
const (
	MaxSideband    = 1000 - 4 - 1 // capability side-band
	MaxSideband64k = MaxPayload - 1
)

// SidebandWriter writes everything it is given to one band, split into
// packets of at most max data bytes.
type SidebandWriter struct {
	w    io.Writer
	band byte
	max  int
	buf  []byte
}

// NewSidebandWriter returns a writer to band on w; max is MaxSideband64k or
// MaxSideband (other values are clamped to MaxSideband64k).
func NewSidebandWriter(w io.Writer, band byte, max int) *SidebandWriter {
	if max <= 0 || max > MaxSideband64k {
		max = MaxSideband64k
	}
	return &SidebandWriter{w: w, band: band, max: max}
}

// Write writes p as one or more packets on the band.
func (s *SidebandWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), s.max)]
		s.buf = append(s.buf[:0], s.band)
		s.buf = append(s.buf, chunk...)
		if err := Write(s.w, s.buf); err != nil {
			return written, err
		}
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}

// RemoteError is a message received on the error band.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return "remote error: " + e.Msg }

// Demux reads side-band packets from r until a flush packet or the end of
// input, copying band 1 to data and band 2 to progress (either may be nil to
// discard). A message on band 3 ends it with a *RemoteError.
func Demux(r *Reader, data, progress io.Writer) error {
	for {
		kind, p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if kind == Flush {
			return nil
		}
		if kind != Data || len(p) == 0 {
			return fmt.Errorf("%w: %s packet in side-band stream", ErrInvalid, kind)
		}
		var w io.Writer
		switch p[0] {
		case BandData:
			w = data
		case BandProgress:
			w = progress
		case BandError:
			return &RemoteError{Msg: string(p[1:])}
		default:
			return fmt.Errorf("%w: side-band %d", ErrInvalid, p[0])
		}
		if w != nil {
			if _, err := w.Write(p[1:]); err != nil {
				return err
			}
		}
	}
}
