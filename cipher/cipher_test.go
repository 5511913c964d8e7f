package cipher_test

import (
	"bytes"
	stdaes "crypto/aes"
	stdcipher "crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/cipher"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// NIST SP 800-38A plaintext used by the F.2 (CBC) and F.5 (CTR) vectors.
const sp80038aPlain = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" +
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"

// TestStreamKnownAnswers checks the non-AEAD algorithms against public
// vectors. Encryption is split over two calls to show that state carries
// across packets (RFC 4253, Section 6.3).
// Requirement: 4253-6.3-3des-cbc
// Requirement: 4253-6.3-single-stream, 4253-6.3-aes128-cbc, 4344-4-aes-ctr, 4344-4-ctr-counter
func TestStreamKnownAnswers(t *testing.T) {
	tests := []struct {
		alg, key, iv, plain, want string
		source                    string
	}{
		{cipher.AES128CTR, "2b7e151628aed2a6abf7158809cf4f3c", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", sp80038aPlain,
			"874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
			"NIST SP 800-38A F.5.1"},
		{cipher.AES192CTR, "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", sp80038aPlain,
			"1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e941e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
			"NIST SP 800-38A F.5.3"},
		{cipher.AES256CTR, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", sp80038aPlain,
			"601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
			"NIST SP 800-38A F.5.5"},
		{cipher.AES128CBC, "2b7e151628aed2a6abf7158809cf4f3c", "000102030405060708090a0b0c0d0e0f", sp80038aPlain,
			"7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
			"NIST SP 800-38A F.2.1"},
		{cipher.AES256CBC, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "000102030405060708090a0b0c0d0e0f", sp80038aPlain,
			"f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
			"NIST SP 800-38A F.2.5"},
		{cipher.TripleDESCBC, "0123456789abcdef23456789abcdef01456789abcdef0123", "f0e1d2c3b4a59687", sp80038aPlain[:64],
			"012455df1d57a82b89b8674aca47077532b03b6ad2fe1a285868916309094fe3",
			"OpenSSL 3 `openssl enc -des-ede3-cbc -nopad` (independent implementation)"},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			a, ok := cipher.LookupAlgorithm(tt.alg)
			if !ok {
				t.Fatalf("%s not registered", tt.alg)
			}
			key, iv, plain, want := unhex(t, tt.key), unhex(t, tt.iv), unhex(t, tt.plain), unhex(t, tt.want)
			if len(key) != a.KeySize || len(iv) != a.IVSize || a.AEAD() {
				t.Fatalf("sizes: key %d/%d iv %d/%d aead %v", len(key), a.KeySize, len(iv), a.IVSize, a.AEAD())
			}
			enc, err := a.NewStream(key, iv, false)
			if err != nil {
				t.Fatal(err)
			}
			got := bytes.Clone(plain)
			half := len(got) / 2 / a.BlockSize * a.BlockSize
			enc.CryptBlocks(got[:half], got[:half])
			enc.CryptBlocks(got[half:], got[half:])
			if !bytes.Equal(got, want) {
				t.Errorf("encrypt (%s):\n got %x\nwant %x", tt.source, got, want)
			}
			dec, err := a.NewStream(key, iv, true)
			if err != nil {
				t.Fatal(err)
			}
			dec.CryptBlocks(got[:a.BlockSize], got[:a.BlockSize])
			dec.CryptBlocks(got[a.BlockSize:], got[a.BlockSize:])
			if !bytes.Equal(got, plain) {
				t.Errorf("decrypt: got %x, want %x", got, plain)
			}
		})
	}
}

// TestMACKnownAnswers uses RFC 4231 test case 2 (HMAC-SHA-256/512) and
// RFC 2202 test case 2 (HMAC-SHA-1).
// Requirement: 4253-6.4-hmac-sha1
// Requirement: 6668-2-hmac-sha2-256, 6668-2-hmac-sha2-512
func TestMACKnownAnswers(t *testing.T) {
	const (
		sha256TC2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
		sha512TC2 = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
		sha1TC2   = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
	)
	tests := []struct {
		name    string
		want    string
		keySize int
		etm     bool
	}{
		{cipher.HMACSHA256ETM, sha256TC2, 32, true},
		{cipher.HMACSHA512ETM, sha512TC2, 64, true},
		{cipher.HMACSHA256, sha256TC2, 32, false},
		{cipher.HMACSHA512, sha512TC2, 64, false},
		{cipher.HMACSHA1ETM, sha1TC2, 20, true},
		{cipher.HMACSHA1, sha1TC2, 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := cipher.LookupMAC(tt.name)
			if !ok {
				t.Fatalf("%s not registered", tt.name)
			}
			if m.KeySize != tt.keySize || m.Size != len(tt.want)/2 || m.ETM != tt.etm {
				t.Errorf("descriptor %+v, want key %d size %d etm %v", m, tt.keySize, len(tt.want)/2, tt.etm)
			}
			h := m.New([]byte("Jefe"))
			h.Write([]byte("what do ya want "))
			h.Write([]byte("for nothing?"))
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
				t.Errorf("MAC = %s, want %s", got, tt.want)
			}
		})
	}
}

// sealed builds an AEAD packet: 4-byte length, body, tag space.
func sealed(body []byte, tag int) []byte {
	pkt := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	pkt = append(pkt, body...)
	return append(pkt, make([]byte, tag)...)
}

// TestGCMConstruction checks aes-gcm@openssh.com against RFC 5647,
// Section 7 computed with the standard library's GCM directly: the packet
// length is AAD and stays in the clear, the nonce is the 12-byte IV whose
// last 8 bytes (the invocation counter) increase by one per packet,
// carrying into the fixed field never.
// Requirement: protocol-1.6-gcm
func TestGCMConstruction(t *testing.T) {
	for _, name := range []string{cipher.AES128GCM, cipher.AES256GCM} {
		t.Run(name, func(t *testing.T) {
			a, _ := cipher.LookupAlgorithm(name)
			if !a.AEAD() || a.TagSize != 16 || a.IVSize != 12 || a.BlockSize != 16 {
				t.Fatalf("descriptor %+v", a)
			}
			key := bytes.Repeat([]byte{7}, a.KeySize)
			iv := unhex(t, "00010203ffffffffffffffff") // counter about to wrap its 64 bits
			s, err := a.NewAEAD(key, iv)
			if err != nil {
				t.Fatal(err)
			}
			blk, _ := stdaes.NewCipher(key)
			ref, _ := stdcipher.NewGCM(blk)
			nonce := bytes.Clone(iv)
			for i := range 3 {
				body := bytes.Repeat([]byte{byte(i), 0xaa}, 16)
				pkt := sealed(body, 16)
				s.Seal(uint32(i), pkt)
				want := ref.Seal(binary.BigEndian.AppendUint32(nil, 32), nonce, body, pkt[:4])
				if !bytes.Equal(pkt, want) {
					t.Fatalf("packet %d:\n got %x\nwant %x", i, pkt, want)
				}
				binary.BigEndian.PutUint64(nonce[4:], binary.BigEndian.Uint64(nonce[4:])+1)
			}
			if !bytes.Equal(nonce[:4], iv[:4]) {
				t.Fatal("fixed field changed")
			}
			// SealTo: the same bytes from another buffer, and the
			// counter moves on alike.
			st := s.(cipher.SealerTo)
			for i := range 3 {
				body := bytes.Repeat([]byte{byte(i), 0xbb}, 16)
				src := sealed(body, 16)[:4+len(body)]
				srcCopy := bytes.Clone(src)
				dst := make([]byte, len(src)+16)
				st.SealTo(uint32(3+i), dst, src)
				want := ref.Seal(binary.BigEndian.AppendUint32(nil, 32), nonce, body, src[:4])
				if !bytes.Equal(dst, want) || !bytes.Equal(src, srcCopy) {
					t.Fatalf("SealTo packet %d:\n got %x\nwant %x", i, dst, want)
				}
				binary.BigEndian.PutUint64(nonce[4:], binary.BigEndian.Uint64(nonce[4:])+1)
			}
		})
	}
}

// TestAEADRoundTripAndTamper seals packets, opens them with a second
// instance, and checks that flipping any bit of a sealed packet (length,
// body or tag) makes Open fail with ErrAuth and leaves no plaintext in the
// packet (the AEAD contract: chacha20 leaves it as received, AES-GCM
// zeroes the body).
// Requirement: chacha20poly1305-mac-first
func TestAEADRoundTripAndTamper(t *testing.T) {
	for _, name := range []string{cipher.ChaCha20Poly1305, cipher.AES128GCM, cipher.AES256GCM} {
		t.Run(name, func(t *testing.T) {
			a, _ := cipher.LookupAlgorithm(name)
			key := bytes.Repeat([]byte{3}, a.KeySize)
			iv := bytes.Repeat([]byte{5}, a.IVSize)
			w, _ := a.NewAEAD(key, iv)
			body := bytes.Repeat([]byte("sixteen bytes!!!"), 2)
			var pkts [][]byte
			for seq := uint32(0); seq < 3; seq++ {
				p := sealed(body, a.TagSize)
				w.Seal(seq, p)
				if bytes.Contains(p, body[:16]) {
					t.Fatal("plaintext visible in sealed packet")
				}
				pkts = append(pkts, p)
			}
			// Tamper with packet 0 on fresh readers: every flip fails.
			for off := range len(pkts[0]) {
				r, _ := a.NewAEAD(key, iv)
				p := bytes.Clone(pkts[0])
				p[off] ^= 0x01
				if err := r.Open(0, p); !errors.Is(err, cipher.ErrAuth) {
					t.Fatalf("flip at %d: Open = %v, want ErrAuth", off, err)
				}
				if bytes.Contains(p, body[:16]) {
					t.Fatalf("flip at %d: failed Open left plaintext: %x", off, p)
				}
			}
			r, _ := a.NewAEAD(key, iv)
			for seq, p := range pkts {
				if n := r.PacketLength(uint32(seq), p[:4]); n != uint32(len(body)) {
					t.Fatalf("packet %d: length %d", seq, n)
				}
				if err := r.Open(uint32(seq), p); err != nil {
					t.Fatalf("packet %d: %v", seq, err)
				}
				if !bytes.Equal(p[4:4+len(body)], body) {
					t.Fatalf("packet %d: body %x", seq, p[4:4+len(body)])
				}
			}
			// A packet opened under the wrong sequence number fails.
			r2, _ := a.NewAEAD(key, iv)
			if name == cipher.ChaCha20Poly1305 {
				if err := r2.Open(1, bytes.Clone(pkts[0])); !errors.Is(err, cipher.ErrAuth) {
					t.Errorf("wrong seq: %v", err)
				}
			}
			// Truncated packets fail without panicking.
			for n := range 4 + a.TagSize {
				if err := r2.Open(0, bytes.Clone(pkts[0][:n])); !errors.Is(err, cipher.ErrAuth) {
					t.Errorf("truncated to %d: %v", n, err)
				}
			}
		})
	}
}

// TestChaChaLengthKey checks the key split of PROTOCOL.chacha20poly1305:
// the length is encrypted with K_1 (second half of the key) alone, so
// changing K_2 leaves the encrypted length unchanged and changing K_1
// changes it.
// Requirement: chacha20poly1305-keys
func TestChaChaLengthKey(t *testing.T) {
	a, _ := cipher.LookupAlgorithm(cipher.ChaCha20Poly1305)
	if a.KeySize != 64 || a.IVSize != 0 || a.TagSize != 16 {
		t.Fatalf("descriptor %+v", a)
	}
	enc := func(key []byte) []byte {
		s, _ := a.NewAEAD(key, nil)
		p := sealed(make([]byte, 16), 16)
		s.Seal(9, p)
		return p[:4]
	}
	base := bytes.Repeat([]byte{1}, 64)
	k2 := bytes.Clone(base)
	k2[0] ^= 1
	k1 := bytes.Clone(base)
	k1[63] ^= 1
	if !bytes.Equal(enc(base), enc(k2)) {
		t.Error("length depends on K_2")
	}
	if bytes.Equal(enc(base), enc(k1)) {
		t.Error("length does not depend on K_1")
	}
}

func TestKeySizeErrors(t *testing.T) {
	for _, name := range append(cipher.Ciphers(), cipher.None) {
		a, _ := cipher.LookupAlgorithm(name)
		key := make([]byte, a.KeySize+1)
		iv := make([]byte, a.IVSize)
		var err error
		if a.AEAD() {
			_, err = a.NewAEAD(key, iv)
		} else {
			_, err = a.NewStream(key, iv, false)
		}
		if !errors.Is(err, cipher.ErrKeySize) {
			t.Errorf("%s: %v, want ErrKeySize", name, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	wantCiphers := []string{
		"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
		"aes128-ctr", "aes192-ctr", "aes256-ctr",
	}
	wantMACs := []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"}
	if diff := cmp.Diff(wantCiphers, cipher.DefaultCiphers()); diff != "" {
		t.Errorf("DefaultCiphers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMACs, cipher.DefaultMACs()); diff != "" {
		t.Errorf("DefaultMACs (-want +got):\n%s", diff)
	}
	d := cipher.DefaultCiphers()
	d[0] = "mutated"
	if cipher.DefaultCiphers()[0] != cipher.ChaCha20Poly1305 {
		t.Error("DefaultCiphers shares its slice")
	}
	if diff := cmp.Diff(append(wantCiphers, "aes128-cbc", "aes256-cbc", "3des-cbc"), cipher.Ciphers()); diff != "" {
		t.Errorf("Ciphers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(append(wantMACs, "hmac-sha1-etm@openssh.com", "hmac-sha1"), cipher.MACs()); diff != "" {
		t.Errorf("MACs (-want +got):\n%s", diff)
	}
	for _, n := range append(cipher.DefaultCiphers(), cipher.LegacyCiphers()...) {
		if _, ok := cipher.LookupAlgorithm(n); !ok {
			t.Errorf("cipher %s not registered", n)
		}
	}
	for _, n := range append(cipher.DefaultMACs(), cipher.LegacyMACs()...) {
		if _, ok := cipher.LookupMAC(n); !ok {
			t.Errorf("MAC %s not registered", n)
		}
	}
	sizes := map[string][4]int{ // key, iv, block, tag
		cipher.ChaCha20Poly1305: {64, 0, 8, 16},
		cipher.AES128GCM:        {16, 12, 16, 16},
		cipher.AES256GCM:        {32, 12, 16, 16},
		cipher.AES128CTR:        {16, 16, 16, 0},
		cipher.AES192CTR:        {24, 16, 16, 0},
		cipher.AES256CTR:        {32, 16, 16, 0},
		cipher.AES128CBC:        {16, 16, 16, 0},
		cipher.AES256CBC:        {32, 16, 16, 0},
		cipher.TripleDESCBC:     {24, 8, 8, 0},
		cipher.None:             {0, 0, 8, 0},
	}
	for n, s := range sizes {
		a, _ := cipher.LookupAlgorithm(n)
		if got := [4]int{a.KeySize, a.IVSize, a.BlockSize, a.TagSize}; got != s {
			t.Errorf("%s sizes %v, want %v", n, got, s)
		}
		if a.AEAD() != (s[3] > 0) {
			t.Errorf("%s AEAD() = %v", n, a.AEAD())
		}
	}
	if _, ok := cipher.LookupAlgorithm("arcfour"); ok {
		t.Error("arcfour registered")
	}
	if _, ok := cipher.LookupMAC("none"); ok {
		t.Error("MAC none registered")
	}
}

func TestRegisterReplace(t *testing.T) {
	orig, _ := cipher.LookupMAC(cipher.HMACSHA1)
	defer cipher.RegisterMAC(orig)
	repl := *orig
	repl.Size = 12
	cipher.RegisterMAC(&repl)
	if m, _ := cipher.LookupMAC(cipher.HMACSHA1); m.Size != 12 {
		t.Errorf("replacement not used: %+v", m)
	}
	defer func() {
		if recover() == nil {
			t.Error("malformed Algorithm accepted")
		}
	}()
	cipher.RegisterAlgorithm(&cipher.Algorithm{Name: "broken"})
}

// TestCheckNames: explicit unknown names are refused in "+", "^" and
// replacing lists; patterns and "-" lists are not checked.
func TestCheckNames(t *testing.T) {
	all := []string{"aes128-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com"}
	for spec, ok := range map[string]bool{
		"": true, "aes128-ctr": true, "+aes256-ctr": true, "^chacha20-poly1305@openssh.com,aes128-ctr": true,
		"aes*": true, "-nonesuch": true, "+foo-cbc": false, "aes128-ctr,foo": false, "^bar": false,
	} {
		if err := cipher.CheckNames(all, spec); (err == nil) != ok || (err != nil && !errors.Is(err, cipher.ErrModifier)) {
			t.Errorf("CheckNames(%q) = %v, want ok %v", spec, err, ok)
		}
	}
}

func TestApplyModifiers(t *testing.T) {
	def := cipher.DefaultCiphers()
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"empty keeps defaults", "", def},
		{"append", "+aes128-cbc,3des-cbc", append(cipher.DefaultCiphers(), "aes128-cbc", "3des-cbc")},
		{"append wildcard", "+*-cbc", append(cipher.DefaultCiphers(), "aes128-cbc", "aes256-cbc", "3des-cbc")},
		{"append duplicate", "+aes128-ctr", def},
		{"remove", "-aes192-ctr", []string{cipher.ChaCha20Poly1305, cipher.AES128GCM, cipher.AES256GCM, cipher.AES128CTR, cipher.AES256CTR}},
		{"remove wildcard", "-aes*-ctr,chacha*", []string{cipher.AES128GCM, cipher.AES256GCM}},
		{"remove question mark", "-aes1?8-*", []string{cipher.ChaCha20Poly1305, cipher.AES256GCM, cipher.AES192CTR, cipher.AES256CTR}},
		{"head", "^aes256-ctr", []string{cipher.AES256CTR, cipher.ChaCha20Poly1305, cipher.AES128GCM, cipher.AES256GCM, cipher.AES128CTR, cipher.AES192CTR}},
		{"head legacy", "^aes128-cbc", append([]string{cipher.AES128CBC}, def...)},
		{"explicit", "aes256-gcm@openssh.com,aes128-ctr", []string{cipher.AES256GCM, cipher.AES128CTR}},
		{"explicit wildcard order", "*-gcm@openssh.com,chacha*", []string{cipher.AES128GCM, cipher.AES256GCM, cipher.ChaCha20Poly1305}},
		{"unknown ignored", "aes128-ctr,rot13", []string{cipher.AES128CTR}},
		{"star never selects none", "*", append(cipher.DefaultCiphers(), "aes128-cbc", "aes256-cbc", "3des-cbc",
			"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
			"hmac-sha1-etm@openssh.com", "hmac-sha1")},
		{"none by exact name", "none", []string{"none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cipher.ApplyModifiers(def, tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ApplyModifiers(%q) (-want +got):\n%s", tt.spec, diff)
			}
		})
	}
	for _, bad := range []string{"-*", "rot13", "+a,,b", "!aes128-ctr", "-!aes*", ",", "-", "^"} {
		if got, err := cipher.ApplyModifiers(def, bad); !errors.Is(err, cipher.ErrModifier) {
			t.Errorf("ApplyModifiers(%q) = %v, %v; want ErrModifier", bad, got, err)
		}
	}
	macs, err := cipher.ApplyModifiers(cipher.DefaultMACs(), "-*-etm@openssh.com")
	if err != nil || !cmp.Equal(macs, []string{cipher.HMACSHA256, cipher.HMACSHA512}) {
		t.Errorf("MAC removal: %v, %v", macs, err)
	}
	got, err := cipher.ApplyModifiersFrom([]string{"b"}, []string{"a", "b", "c"}, "+*")
	if err != nil || !cmp.Equal(got, []string{"b", "a", "c"}) {
		t.Errorf("ApplyModifiersFrom: %v, %v", got, err)
	}
}

func FuzzApplyModifiers(f *testing.F) {
	for _, s := range []string{"+aes*", "-*-etm@openssh.com", "^3des-cbc", "a*b*c?d", "*,*,*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := cipher.ApplyModifiers(cipher.DefaultCiphers(), spec)
		if err != nil {
			return
		}
		if len(got) == 0 {
			t.Fatal("empty result without error")
		}
		seen := map[string]bool{}
		for _, n := range got {
			if seen[n] {
				t.Fatalf("duplicate %q in %v", n, got)
			}
			seen[n] = true
		}
	})
}

func TestAEADAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts need a build without -race")
	}
	for _, name := range []string{cipher.ChaCha20Poly1305, cipher.AES128GCM, cipher.AES256GCM} {
		a, _ := cipher.LookupAlgorithm(name)
		w, _ := a.NewAEAD(make([]byte, a.KeySize), make([]byte, a.IVSize))
		r, _ := a.NewAEAD(make([]byte, a.KeySize), make([]byte, a.IVSize))
		p := sealed(make([]byte, 1024), a.TagSize)
		var seq uint32
		n := testing.AllocsPerRun(100, func() {
			binary.BigEndian.PutUint32(p, 1024)
			w.Seal(seq, p)
			r.PacketLength(seq, p)
			if err := r.Open(seq, p); err != nil {
				t.Fatal(err)
			}
			seq++
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", name, n)
		}
	}
}
