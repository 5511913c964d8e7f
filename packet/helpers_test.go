package packet_test

import (
	"encoding/binary"
	"hash"
	"testing"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// suite is one cipher x MAC combination.
type suite struct{ cipher, mac string }

func (s suite) String() string {
	if s.mac == "" {
		return s.cipher
	}
	return s.cipher + "+" + s.mac
}

// allSuites lists every registered cipher with every registered MAC (the
// MAC is empty for AEAD ciphers), plus "none".
func allSuites() []suite {
	var out []suite
	for _, c := range cipher.Ciphers() {
		a, _ := cipher.LookupAlgorithm(c)
		if a.AEAD() {
			out = append(out, suite{c, ""})
			continue
		}
		for _, m := range cipher.MACs() {
			out = append(out, suite{c, m})
		}
	}
	// "none" alone, and with a MAC (integrity without secrecy; tests
	// only, but it must not crash).
	return append(out, suite{cipher.None, ""}, suite{cipher.None, cipher.HMACSHA256}, suite{cipher.None, cipher.HMACSHA256ETM})
}

// oneSuitePerMode lists one suite per protection mode, for the slower tests.
func oneSuitePerMode() []suite {
	return []suite{
		{cipher.ChaCha20Poly1305, ""},
		{cipher.AES128GCM, ""},
		{cipher.AES128CTR, cipher.HMACSHA256ETM},
		{cipher.AES256CTR, cipher.HMACSHA256},
		{cipher.AES128CBC, cipher.HMACSHA1},
		{cipher.TripleDESCBC, cipher.HMACSHA512ETM},
		{cipher.None, ""},
	}
}

func mustKeys(t testing.TB, s suite, seed string) packet.Keys {
	t.Helper()
	k, err := packettest.Keys(s.cipher, s.mac, seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rawSealer is a test-side encoder of binary packets, written straight
// from RFC 4253, Section 6 and PROTOCOL Sections 1.5-1.7 on top of the
// cipher package, that lets a test choose every field, including invalid
// ones.
type rawSealer struct {
	stream cipher.Stream
	aead   cipher.AEAD
	tag    int
	mac    hash.Hash
	etm    bool
	block  int
	seq    uint32
}

func newRawSealer(t testing.TB, k packet.Keys) *rawSealer {
	t.Helper()
	a, ok := cipher.LookupAlgorithm(k.Cipher)
	if !ok {
		t.Fatalf("unknown cipher %s", k.Cipher)
	}
	s := &rawSealer{block: a.BlockSize}
	var err error
	if a.AEAD() {
		s.aead, err = a.NewAEAD(k.Key, k.IV)
		s.tag = a.TagSize
	} else {
		s.stream, err = a.NewStream(k.Key, k.IV, false)
		if k.MAC != "" {
			m, _ := cipher.LookupMAC(k.MAC)
			s.mac, s.etm = m.New(k.MACKey), m.ETM
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seal returns the wire form of a packet whose packet_length is
// len(body) (or length, if non-negative) and whose padding_length,
// payload and padding are body verbatim.
func (s *rawSealer) seal(body []byte, length int64) []byte {
	plen := uint32(len(body))
	if length >= 0 {
		plen = uint32(length)
	}
	pkt := binary.BigEndian.AppendUint32(nil, plen)
	pkt = append(pkt, body...)
	defer func() { s.seq++ }()
	switch {
	case s.aead != nil:
		pkt = append(pkt, make([]byte, s.tag)...)
		s.aead.Seal(s.seq, pkt)
		return pkt
	case s.etm:
		pkt = s.fullBlocks(pkt, 4)
		s.stream.CryptBlocks(pkt[4:], pkt[4:]) // "none" has an identity Stream
		return append(pkt, s.sum(pkt)...)
	default:
		var m []byte
		if s.mac != nil {
			m = s.sum(pkt)
		}
		pkt = s.fullBlocks(pkt, 0)
		s.stream.CryptBlocks(pkt, pkt)
		return append(pkt, m...)
	}
}

// fullBlocks zero-extends a deliberately misaligned packet so that a
// block cipher can encrypt it; the reader rejects the length first.
func (s *rawSealer) fullBlocks(pkt []byte, from int) []byte {
	for (len(pkt)-from)%s.block != 0 {
		pkt = append(pkt, 0)
	}
	return pkt
}

func (s *rawSealer) sum(data []byte) []byte {
	s.mac.Reset()
	s.mac.Write(binary.BigEndian.AppendUint32(nil, s.seq))
	s.mac.Write(data)
	return s.mac.Sum(nil)
}

// body returns padding_length || payload || padding with pad bytes of
// padding.
func body(payload []byte, pad int) []byte {
	b := append([]byte{byte(pad)}, payload...)
	return append(b, make([]byte, pad)...)
}

// alignedBody returns a valid body for payload under block alignment
// (lenInside: the length field counts toward alignment).
func alignedBody(payload []byte, block int, lenInside bool) []byte {
	n := 1 + len(payload)
	if lenInside {
		n += 4
	}
	pad := block - n%block
	if pad < 4 {
		pad += block
	}
	return body(payload, pad)
}

// readerFor returns a Conn whose receive direction uses k and that reads
// input, then EOF. Its writes fail.
func readerFor(t testing.TB, k packet.Keys, input []byte) *packet.Conn {
	t.Helper()
	a, b := packettest.Pipe()
	b.Write(input)
	b.(interface{ CloseWrite() error }).CloseWrite()
	t.Cleanup(func() { b.Close() })
	c := packet.NewConn(a, nil)
	if err := c.SetReadKeys(k); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// validBody returns a valid body for payload under k's alignment rules.
func validBody(k packet.Keys, payload []byte) []byte {
	a, _ := cipher.LookupAlgorithm(k.Cipher)
	lenInside := !a.AEAD()
	if k.MAC != "" {
		m, _ := cipher.LookupMAC(k.MAC)
		lenInside = !m.ETM
	}
	return alignedBody(payload, max(8, a.BlockSize), lenInside)
}
