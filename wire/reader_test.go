package wire_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

// Requirement: 4251-5-namelist-names
// Requirement: 4251-5-namelist-ascii
func TestNameList(t *testing.T) {
	tests := []struct { // RFC 4251, Section 5 examples, then edge cases (docs/security.md#w2)
		name    string
		in      []byte
		want    []string
		wantErr error
	}{
		{"empty", []byte{0, 0, 0, 0}, nil, nil},
		{"one", []byte("\x00\x00\x00\x04zlib"), []string{"zlib"}, nil},
		{"two", []byte("\x00\x00\x00\x09zlib,none"), []string{"zlib", "none"}, nil},
		{"empty element", []byte("\x00\x00\x00\x04a,,b"), nil, wire.ErrInvalid},
		{"trailing comma", []byte("\x00\x00\x00\x02a,"), nil, wire.ErrInvalid},
		{"leading comma", []byte("\x00\x00\x00\x02,a"), nil, wire.ErrInvalid},
		{"lone comma", []byte("\x00\x00\x00\x01,"), nil, wire.ErrInvalid},
		{"space", []byte("\x00\x00\x00\x03a b"), nil, wire.ErrInvalid},
		{"non-ascii", []byte("\x00\x00\x00\x02\xc3\xa9"), nil, wire.ErrInvalid},
		{"control", []byte("\x00\x00\x00\x02a\x1b"), nil, wire.ErrInvalid},
		{"length past end", []byte("\x00\x00\x00\x05zlib"), nil, wire.ErrTruncated},
		{"length 0xffffffff", []byte("\xff\xff\xff\xffzlib"), nil, wire.ErrTruncated},
		{"length 0x7fffffff", []byte("\x7f\xff\xff\xffzlib"), nil, wire.ErrTruncated},
		{"short length", []byte{0, 0}, nil, wire.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wire.NewReader(tt.in)
			got := r.NameList()
			if err := r.Err(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Err() = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NameList (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNameListCap(t *testing.T) {
	big := bytes.Repeat([]byte("a,"), wire.MaxNameListLen/2)
	big = append(big, 'a')
	r := wire.NewReader(wire.AppendString(nil, big))
	if r.NameList(); !errors.Is(r.Err(), wire.ErrTooLarge) {
		t.Fatalf("Err() = %v, want ErrTooLarge", r.Err())
	}
	// 10k entries under the cap parse.
	list := bytes.Repeat([]byte("x,"), 10000)
	list = list[:len(list)-1]
	r = wire.NewReader(wire.AppendString(nil, list))
	if got := r.NameList(); r.Err() != nil || len(got) != 10000 {
		t.Fatalf("NameList: %d names, err %v", len(got), r.Err())
	}
}

// Requirement: 4251-5-mpint-msb, 4251-5-mpint-zero
func TestMPInt(t *testing.T) {
	hex := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 16); return v }
	tests := []struct { // RFC 4251, Section 5 examples (non-negative ones)
		name string
		v    *big.Int
		enc  []byte
	}{
		{"zero", big.NewInt(0), []byte{0, 0, 0, 0}},
		{"9a378f9b2e332a7", hex("9a378f9b2e332a7"), []byte{0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7}},
		{"80", hex("80"), []byte{0, 0, 0, 2, 0x00, 0x80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wire.AppendMPInt(nil, tt.v); !bytes.Equal(got, tt.enc) {
				t.Errorf("AppendMPInt = %x, want %x", got, tt.enc)
			}
			if got := wire.AppendMPIntBytes(nil, tt.v.Bytes()); !bytes.Equal(got, tt.enc) {
				t.Errorf("AppendMPIntBytes = %x, want %x", got, tt.enc)
			}
			r := wire.NewReader(tt.enc)
			if got := r.MPInt(); r.Err() != nil || got.Cmp(tt.v) != 0 {
				t.Errorf("MPInt = %v, %v; want %v", got, r.Err(), tt.v)
			}
		})
	}
}

// Requirement: 4251-5-mpint-minimal
func TestMPIntReject(t *testing.T) {
	tests := []struct { // docs/security.md#w3
		name    string
		enc     []byte
		wantErr error
	}{
		{"negative -1234 (RFC 4251)", []byte{0, 0, 0, 2, 0xed, 0xcc}, wire.ErrInvalid},
		{"negative -deadbeef (RFC 4251)", []byte{0, 0, 0, 5, 0xff, 0x21, 0x52, 0x41, 0x11}, wire.ErrInvalid},
		{"leading zero", []byte{0, 0, 0, 2, 0x00, 0x7f}, wire.ErrInvalid},
		{"lone zero byte", []byte{0, 0, 0, 1, 0x00}, wire.ErrInvalid},
		{"too large", append([]byte{0, 0, 0x08, 0x02, 0x00}, bytes.Repeat([]byte{0xff}, 0x801)...), wire.ErrTooLarge},
		{"truncated", []byte{0, 0, 0, 3, 1}, wire.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wire.NewReader(tt.enc)
			got := r.MPInt()
			if got != nil || !errors.Is(r.Err(), tt.wantErr) {
				t.Errorf("MPInt: nil value %v, err %v; want nil, %v", got == nil, r.Err(), tt.wantErr)
			}
		})
	}
	// 16384 bits exactly is allowed.
	mag := bytes.Repeat([]byte{0x7f}, wire.MaxMPIntBits/8)
	r := wire.NewReader(wire.AppendMPIntBytes(nil, mag))
	if r.MPIntBytes(); r.Err() != nil {
		t.Errorf("16384-bit mpint: %v", r.Err())
	}
}

// Requirement: 4251-5-boolean
func TestBool(t *testing.T) {
	// RFC 4251, Section 5: any non-zero value is TRUE (docs/security.md#w5).
	for v := 0; v < 256; v++ {
		r := wire.NewReader([]byte{byte(v)})
		if got := r.Bool(); got != (v != 0) {
			t.Errorf("Bool(%d) = %v", v, got)
		}
	}
	if got := wire.AppendBool(nil, true); !bytes.Equal(got, []byte{1}) {
		t.Errorf("AppendBool(true) = %x, want 01", got)
	}
}

func TestReaderKeepsFirstError(t *testing.T) {
	r := wire.NewReader([]byte{0, 0, 0, 9, 'a'})
	_ = r.StringBytes()
	_ = r.Uint64()
	var de *wire.DecodeError
	if !errors.As(r.Err(), &de) || de.Offset != 0 || !errors.Is(de, wire.ErrTruncated) {
		t.Fatalf("Err() = %#v, want truncation at offset 0", r.Err())
	}
}

func TestUTF8(t *testing.T) {
	r := wire.NewReader(wire.AppendString(nil, "caf\xc3"))
	if r.UTF8(); !errors.Is(r.Err(), wire.ErrInvalid) {
		t.Errorf("UTF8 of invalid input: Err() = %v, want ErrInvalid", r.Err())
	}
}

// Requirement: 4251-9.2-control-chars
func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text\tand\nlines", "plain text\tand\nlines"},
		{"caf\u00e9 \ufffd", "caf\u00e9 \ufffd"},
		{"red\x1b[31m", `red\u001b[31m`},
		{"csi\u009b", `csi\u009b`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"bell\x07\x7f", `bell\u0007\u007f`},
	}
	for _, tt := range tests {
		if got := wire.Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestReaderCount covers docs/security.md#w7: a count is checked against the
// remaining bytes (ErrTruncated) and then against the cap (ErrTooLarge).
func TestReaderCount(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		minSize int
		max     int
		want    int
		wantErr error
	}{
		{"zero", []byte{0, 0, 0, 0}, 4, 10, 0, nil},
		{"fits", append([]byte{0, 0, 0, 2}, make([]byte, 8)...), 4, 10, 2, nil},
		{"past end", append([]byte{0, 0, 0, 3}, make([]byte, 8)...), 4, 10, 0, wire.ErrTruncated},
		{"0xffffffff", append([]byte{0xff, 0xff, 0xff, 0xff}, make([]byte, 8)...), 4, 10, 0, wire.ErrTruncated},
		{"over cap", append([]byte{0, 0, 0, 11}, make([]byte, 44)...), 4, 10, 0, wire.ErrTooLarge},
		{"min size 0 treated as 1", []byte{0, 0, 0, 1, 9}, 0, 10, 1, nil},
		{"short", []byte{0, 0}, 1, 10, 0, wire.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wire.NewReader(tt.in)
			got := r.Count(tt.minSize, tt.max, "things")
			if err := r.Err(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Err() = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Count = %d, want %d", got, tt.want)
			}
			if tt.wantErr != nil && r.Offset() != 0 {
				t.Errorf("error offset %d, want 0 (the count field)", r.Offset())
			}
		})
	}
}

// TestLenAfterError pins that a failed Reader reports nothing left, so
// element loops terminate (a loop on Len once spun on a bad certificate).
func TestLenAfterError(t *testing.T) {
	r := wire.NewReader([]byte{0, 0, 0, 9, 'a', 'b'})
	for n := 0; r.Len() > 0; n++ {
		if n > 10 {
			t.Fatal("loop on Len did not end after a failed read")
		}
		_ = r.StringBytes()
	}
	if !errors.Is(r.Err(), wire.ErrTruncated) {
		t.Fatalf("Err() = %v, want ErrTruncated", r.Err())
	}
}
