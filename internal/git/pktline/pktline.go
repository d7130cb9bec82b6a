// Package pktline reads and writes git's pkt-line framing: data packets
// with a four-hex-digit length prefix, and the special packets flush
// ("0000"), delim ("0001") and response-end ("0002"). It also multiplexes
// side-band channels (data, progress, error) as upload-pack and
// receive-pack use them.
//
// A Reader reads exactly the bytes of each packet and never ahead, so the
// rest of a stream (a packfile after the commands of a push) can be handed
// on; wrap the source in a bufio.Reader when that does not matter. Readers
// and writers are not safe for concurrent use.
package pktline

import (
	"errors"
	"fmt"
	"io"
)

// Limits from git's protocol documentation.
const (
	MaxPacketLen = 65520            // a packet, including its 4-byte header
	MaxPayload   = MaxPacketLen - 4 // data in one packet
)

// Kind is the kind of a packet.
type Kind uint8

// The packet kinds.
const (
	Data        Kind = iota // a data packet, possibly empty ("0004")
	Flush                   // "0000": end of a message or section
	Delim                   // "0001": separates sections (protocol v2)
	ResponseEnd             // "0002": end of a response (protocol v2)
)

func (k Kind) String() string {
	switch k {
	case Data:
		return "data"
	case Flush:
		return "flush"
	case Delim:
		return "delim"
	case ResponseEnd:
		return "response-end"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// ErrInvalid is wrapped by errors about malformed packets.
var ErrInvalid = errors.New("invalid pkt-line")

// ErrTooLong is returned when data does not fit in one packet.
var ErrTooLong = fmt.Errorf("pkt-line payload longer than %d bytes", MaxPayload)

const hexdigits = "0123456789abcdef"

// Append appends p as one data packet to dst.
func Append(dst, p []byte) ([]byte, error) {
	if len(p) > MaxPayload {
		return dst, ErrTooLong
	}
	n := len(p) + 4
	dst = append(dst, hexdigits[n>>12&0xf], hexdigits[n>>8&0xf], hexdigits[n>>4&0xf], hexdigits[n&0xf])
	return append(dst, p...), nil
}

// Write writes p as one data packet.
func Write(w io.Writer, p []byte) error {
	b, err := Append(make([]byte, 0, len(p)+4), p)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteString writes s as one data packet.
func WriteString(w io.Writer, s string) error { return Write(w, []byte(s)) }

// Writef writes a formatted data packet.
func Writef(w io.Writer, format string, a ...any) error {
	return Write(w, fmt.Appendf(nil, format, a...))
}

// WriteFlush writes a flush packet.
func WriteFlush(w io.Writer) error { return writeSpecial(w, "0000") }

// WriteDelim writes a delim packet.
func WriteDelim(w io.Writer) error { return writeSpecial(w, "0001") }

// WriteResponseEnd writes a response-end packet.
func WriteResponseEnd(w io.Writer) error { return writeSpecial(w, "0002") }

func writeSpecial(w io.Writer, s string) error {
	_, err := io.WriteString(w, s)
	return err
}

// Reader reads packets.
type Reader struct {
	r   io.Reader
	buf [MaxPacketLen]byte
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Next reads the next packet. The payload of a data packet is valid until
// the next call. At a clean end of input it returns io.EOF; a stream cut
// inside a packet is io.ErrUnexpectedEOF.
func (r *Reader) Next() (Kind, []byte, error) {
	hdr := r.buf[:4]
	if _, err := io.ReadFull(r.r, hdr); err != nil {
		return 0, nil, err
	}
	n := 0
	for _, c := range hdr {
		v, ok := unhex(c)
		if !ok {
			return 0, nil, fmt.Errorf("%w: length %q", ErrInvalid, hdr)
		}
		n = n<<4 | v
	}
	switch {
	case n == 0:
		return Flush, nil, nil
	case n == 1:
		return Delim, nil, nil
	case n == 2:
		return ResponseEnd, nil, nil
	case n < 4 || n > MaxPacketLen:
		return 0, nil, fmt.Errorf("%w: length %d", ErrInvalid, n)
	}
	p := r.buf[4:n]
	if _, err := io.ReadFull(r.r, p); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return Data, p, nil
}

func unhex(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}
