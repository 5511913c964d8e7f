package shadow

import (
	"bufio"
	"encoding/hex"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A vector is a password and the crypt(3) string it must give.
type vector struct {
	name, password, hash string
}

func checkVectors(t *testing.T, vs []vector) {
	t.Helper()
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			if err := Verify(v.hash, v.password); err != nil {
				got, cerr := Crypt(v.password, v.hash)
				t.Fatalf("Verify(%q, %q) = %v; Crypt gives %q, %v", v.hash, v.password, err, got, cerr)
			}
			if err := Verify(v.hash, v.password+"x"); !errors.Is(err, ErrMismatch) {
				t.Errorf("Verify with a wrong password = %v, want ErrMismatch", err)
			}
		})
	}
}

// TestDrepperVectors are the test vectors of Ulrich Drepper's "Unix
// crypt using SHA-256 and SHA-512" (the spec's tables; also what
// Debian's libxcrypt gives). The spec's "rounds=10" vector is left out:
// the spec clamps it to 1000, libxcrypt (and so Debian) refuses it, and
// so do we (TestVerifyErrors).
func TestDrepperVectors(t *testing.T) {
	long := "a very much longer text to encrypt.  This one even stretches over morethan one line."
	checkVectors(t, []vector{
		{"sha512/default", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"sha512/10000", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"sha512/toolongsalt", "This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
		{"sha512/1400", long, "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
		{"sha512/77777", "we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
		{"sha512/123456", "a short string", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"},
		{"sha256/default", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
		{"sha256/10000", "Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
		{"sha256/toolongsalt", "This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"},
		{"sha256/1400", long, "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"},
		{"sha256/77777", "we have a short salt string but not a short password", "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"},
		{"sha256/123456", "a short string", "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"},
	})
}

// TestYescryptKDF checks the KDF against the reference's TESTS-OK
// (github.com/openwall/yescrypt at 10354f7d, output of tests.c's
// print_yescrypt(passwd, salt, flags, N, r, p, t, g, dklen)): classic
// scrypt (flags 0), WORM (1) and the RW defaults (182 = 0xb6), with
// t = 0..3 and outputs shorter and longer than 32 bytes.
func TestYescryptKDF(t *testing.T) {
	tests := []struct {
		pw, salt        string
		flags           uint32
		nLog2, r, p, tc uint32
		want            string
	}{
		{"", "", 0, 4, 1, 1, 0, "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
		{"", "", 0, 4, 1, 1, 0, "77d6576238657b20"},
		{"", "", 0, 2, 1, 1, 0, "efad0c23314cb572bc3cfb1543da42f8a8b073004c866b64ab5055a4f09fa5f571142ebfe7e05a3b92c432f31dea95ad5f9c854b6456462f4bd0f732b7cdc549"},
		{"", "", 1, 2, 1, 1, 0, "85dda48c9ec9de2f7f1ae8b4dfeda51f8b6d56f3081be1a7c0833ba2719a36ab02885dae36557d342686b17ba75f2c217792de0970ab1d07a9c750936d31426f"},
		{"", "", 1, 2, 1, 1, 1, "4baa8cd8608ba91f3e3439d9ec4fae8f9fc092d9ca22b7377e31ae5b9ad7877c1168691162dd0e5ef049e570650cbed4384ad60534fb0cbed19ff3f033c94b0c"},
		{"", "", 1, 2, 1, 1, 2, "e6e8bba09b6412ffb0b3cc35e37d0b782a47fbaadc57a076d7c6cc2e70919a1b8d4738c4f83355690742d9bed71c3b8fb0d7eb086ab134c5e55707c2c13c75ef"},
		{"", "", 1, 2, 1, 1, 3, "acd9a4201cf4a476ecf7baa6113d86fb65cd07102b4004e4f9d99cd34255a10899"},
		{"", "", 1, 2, 1, 1, 3, "ac"},
		{"", "", 182, 2, 1, 1, 0, "0cd5af76eb241df8119a9a122ae36920bcc7f414b9c0d58f45008060dade46b0c80922bdcc16a3ab5d201d4c6140c671be1f75272ca904739d5ad1ff672b0c21"},
		{"", "", 182, 2, 1, 1, 0, "0cd5af76"},
		{"", "", 182, 2, 1, 1, 1, "23b6adf0b60c9a997f58583d80cda48c638cdc2f289edf93a70807725a0d35c468ca362c5557cc04b6811e2e730841f526d8f4f7acfbfa9e06fe1f383a71155e"},
		{"", "", 182, 2, 1, 1, 1, "23b6adf0b60c9a997f58583d80cda48c638cdc2f289edf93a70807725a0d35c468"},
		{"", "", 182, 2, 1, 1, 1, "23b6adf0b60c9a997f58583d80cda48c638cdc2f289edf93a70807725a0d35"},
		{"", "", 182, 2, 1, 1, 1, "23"},
		{"p", "s", 182, 4, 8, 1, 10, "e1f981733a94052fcd7acb1405df0bbde8e499b6a1331b775909b48c2f516c40dcc8301635b7237b"},
		{"p", "s", 1, 4, 8, 1, 10, "9e7a4097644284cf3b73b60450ff230cdcb6b1b19b1509eeb482f696c4f1c705c00f740216183a12"},
		{"p", "s", 182, 4, 8, 1, 0, "c8c7ff1122b0b291c3f2608948782cd689cc45579017aaa5ff8baa74a632ec99c3d66930fb2023bb"},
		{"p", "s", 1, 4, 8, 1, 0, "9dd636c2d0bb92345286efdaf8a68cfc1b4ffdc4b1adaccc7d864b9a6787b85d6ae0f5280da8889f"},
		{"p", "s", 182, 4, 8, 1, 0, "c8c7ff1122b0b291"},
	}
	for _, tt := range tests {
		yp := yescryptParams{flags: tt.flags, nLog2: tt.nLog2, r: tt.r, p: tt.p, t: tt.tc}
		dk, err := yescryptKDF([]byte(tt.pw), []byte(tt.salt), yp, len(tt.want)/2)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(dk); got != tt.want {
			t.Errorf("yescrypt(%q, %q, %d, 2^%d, %d, %d, t=%d)\n got %s\nwant %s", tt.pw, tt.salt, tt.flags, tt.nLog2, tt.r, tt.p, tt.tc, got, tt.want)
		}
	}
}

// TestYescryptReferenceHashes are "$y$" strings from the reference's
// TESTS-OK (tests.c, TEST_YESCRYPT_ENCODING, password "pleaseletmein"):
// RW ("j") and WORM ("/") flavors, p > 1, salts of every length the
// encoding allows down to one byte. The costliest (8 to 64 MiB, or many
// lanes) run only without -short and -race.
func TestYescryptReferenceHashes(t *testing.T) {
	vs := []vector{
		{"/A2", "pleaseletmein", "$y$/A2$LdJMENpBABJJ3hIHj/$5IEld1eWdmh5lylrqHLF5dvA3ISpimEM9J1Dd05n/.3"},
		{"j91.5", "pleaseletmein", "$y$j91.5$LdJMENpBABJJ3hIH$ebKnn23URD5vyLgF9cP2EvVosrUXf7UErGRV0KmC6e6"},
		{"j80", "pleaseletmein", "$y$j80$LdJMENpBABJJ3h2$ysXVVJwuaVlI1BWoEKt/Bz3WNDDmdOWz/8KTQaHL1cC"},
		{"/7/.4", "pleaseletmein", "$y$/7/.4$LdJMENpBABJJ3/$lXHleh7bIZMGNtJVxGVrsIWkEIXfBedlfPui/PITflC"},
		{"/6.", "pleaseletmein", "$y$/6.$LdJMENpBABJJ$zQITmYSih5.CTY47x0IuE4wl.b3HzYGKKCSggakaQ22"},
		{"j5..3", "pleaseletmein", "$y$j5..3$LdJMENpBAB3$xi27PTUNd8NsChHeLOz85JFnUOyibRHkWzprowRlR5/"},
		{"j4/", "pleaseletmein", "$y$j4/$LdJMENpBA/$tHlkpTQ8V/eEnTVau1uW36T97LIXlfPrEzdeV5SE5K7"},
		{"/3..2", "pleaseletmein", "$y$/3..2$LdJMENpB$tNczXFuNUd3HMqypStCRsEaL4e4KF7ZYLBe8Hbeg0B7"},
		{"/2/", "pleaseletmein", "$y$/2/$LdJMEN3$RRorHhfsw1/P/WR6Aurg4U72e9Q7qt9vFPURdyfiqK8"},
		{"j2..1", "pleaseletmein", "$y$j2..1$LdJME/$iLEt6kuTwHch6XdCxtTHfsQzYwWFmpUwgl6Ax8RH4d1"},
		{"j0/", "pleaseletmein", "$y$j0/$LdJM$k7BXzSDuoGHW56SY3HxROCiA0gWRscZe2aA0q5oHPM0"},
		{"//..0", "pleaseletmein", "$y$//..0$Ld3$6BJXezMFxaMiO5wsuoEmztvtCs/79085dZO56ADlV5B"},
		{"///", "pleaseletmein", "$y$///$L/$Rrrkp6OVljrIk0kcwkCDhAiHJiSthh3cKeIGHUW7Z0C"},
		{"j1../", "pleaseletmein", "$y$j1../$LdJMENpBABJJ3hIHjB1Bi.$L8OQFc8mxJPd7CpUFgkS7KqJM2I9jGXu3BdqX2D.647"},
		{"j//", "pleaseletmein", "$y$j//$LdJMENpBABJJ3hIHjB1B$U8a2MaK.yesqWySK8Owk6PWeWmp/XuagMbpP45q1/q1"},
	}
	if !testing.Short() && !raceEnabled {
		vs = append(vs,
			vector{"jC4", "pleaseletmein", "$y$jC4$LdJMENpBABJJ3hIHjB1B$jVg4HoqqpbmQv/NCpin.QCMagJ8o4QX7lXdzvVV0xFC"},
			vector{"jD5.7", "pleaseletmein", "$y$jD5.7$LdJMENpBABJJ3hIHjB1Bi.$HboGM6qPrsK.StKYGt6KErmUYtioHreJd98oIugoNB6"},
			vector{"/B3.6", "pleaseletmein", "$y$/B3.6$LdJMENpBABJJ3hIHjB1$h8sE4hJo.BsdlfJr0.d8bNJNPZymH7Y3kLj4aY1Rfc8"},
		)
	}
	checkVectors(t, vs)
}

// TestLibxcryptKnownAnswers runs testdata/libxcrypt-ka-table.txt, a
// sample of libxcrypt's known-answer table.
func TestLibxcryptKnownAnswers(t *testing.T) {
	f, err := os.Open("testdata/libxcrypt-ka-table.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 {
			t.Fatalf("bad line %q", line)
		}
		n++
		if raceEnabled && n%4 != 0 {
			continue // a quarter of them under -race
		}
		setting, want, phrase := fields[0], fields[1], fields[2]
		got, err := Crypt(phrase, setting)
		if err != nil || got != want {
			t.Errorf("Crypt(%q, %q) = %q, %v; want %q", phrase, setting, got, err, want)
		}
		if err := Verify(want, phrase); err != nil {
			t.Errorf("Verify(%q, %q) = %v", want, phrase, err)
		}
	}
	if n < 100 {
		t.Fatalf("only %d vectors read", n)
	}
}

// TestDebianHashes were made on Debian 12 by mkpasswd 5.5.17 (libxcrypt
// 4.4.33) and OpenSSL 3.0.19's `openssl passwd`: the formats and
// defaults that passwd(1), chpasswd and useradd write there.
func TestDebianHashes(t *testing.T) {
	checkVectors(t, []vector{
		{"mkpasswd yescrypt", "correct horse", "$y$j9T$wRNOzBt/o8Eo5ypI9JKut.$8H/Zftk.v1OXcDJp/4KMZxioh9lbPKnWRO3MlK3znu9"},
		{"mkpasswd yescrypt -R 3", "correct horse", "$y$j7T$ZUhsbpcJEkSQVaA5yfBQo1$uDW2mxq8s5huVtKWUFS6ttcevCEltjcrrIfomF.pDA1"},
		{"mkpasswd yescrypt utf-8", "pässwörd", "$y$j9T$vpxJMYpx7MToOsYJvy0KP/$cF.VtxSVKiNeJy7p6JebfNafZ7jdz7NPeHpZvurOcy/"},
		{"mkpasswd sha512crypt", "correct horse", "$6$E/vFU.vx8ZWoW4m8$n0HU6yzXg1H3ykICewf2V/ob0gD3ArnL.OPu3W1rMFySro0b4NCyJr0A2gObnF7ogAN2esmQQOnMKhFEgUi3N/"},
		{"mkpasswd sha512crypt -R 10000", "correct horse", "$6$rounds=10000$qnwdbHLeyySxIjPs$NqDshqCZIFHycduaWggjGggdqP4WMrkEgleniWjOba86THVqkHrTmFIZ23R/TlSVSjYxGEIRvtrUKcyH8mQEQ."},
		{"mkpasswd sha256crypt", "correct horse", "$5$jT1K4cbEDmyyPFD5$708WAKFNcpPkdbjxtzYHnuukq8oLqTlgB2sGUVPikG."},
		{"mkpasswd sha256crypt -R 2000 utf-8", "pässwörd", "$5$rounds=2000$wbQzil88zos2bQ3c$V8AjAA5mGMlZBra9BKsnLkBuU2qmlkdJldPVgneXsU0"},
		{"openssl passwd -6", "correct horse", "$6$xRUz7l39UBBmLqV8$F3XLiskwv9ggiXb1wu6TOuL3wxw9CBS2zUzl9jqpMQQnq1x3h3e8WPKXxnp8GAMgT1oFddRXwyIIs5aL6Zyg91"},
		{"openssl passwd -5", "correct horse", "$5$f5djokfrElvPS/ND$yPxNBAa0kH/iaZdfOs7QJZQVAmLFKnWIPfIfUTapaL5"},
	})
	if err := Verify("$y$j9T$H1ZtKMXdgbKIBFF6qrl41/$Zn4JTNpTb4hRPRDSuFRo8f7pJreSbW9tK2/QTPcZ9KA", ""); err != nil {
		t.Errorf("mkpasswd of the empty password: %v", err)
	}
}

// TestToolHashes makes fresh hashes with this machine's mkpasswd
// (package whois) and openssl at run time, so new salts and the tools'
// current defaults are covered too.
func TestToolHashes(t *testing.T) {
	run := func(t *testing.T, tool string, args ...string) string {
		t.Helper()
		if _, err := exec.LookPath(tool); err != nil {
			wiretest.MissingPeer(t, "%s not installed (mkpasswd: apt-get install whois): %v", tool, err)
		}
		out, err := exec.Command(tool, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", tool, args, err)
		}
		return strings.TrimSpace(string(out))
	}
	const pw = "Tr0ub4dor&3 with spaces"
	tests := []struct {
		name, tool string
		args       []string
		prefix     string
	}{
		{"mkpasswd yescrypt", "mkpasswd", []string{"-m", "yescrypt", pw}, "$y$j9T$"},
		{"mkpasswd yescrypt -R 1", "mkpasswd", []string{"-m", "yescrypt", "-R", "1", pw}, "$y$j75$"},
		{"mkpasswd sha512crypt", "mkpasswd", []string{"-m", "sha512crypt", pw}, "$6$"},
		{"mkpasswd sha512crypt -R 1000", "mkpasswd", []string{"-m", "sha512crypt", "-R", "1000", pw}, "$6$rounds=1000$"},
		{"mkpasswd sha256crypt -R 1000", "mkpasswd", []string{"-m", "sha256crypt", "-R", "1000", pw}, "$5$rounds=1000$"},
		{"openssl passwd -6", "openssl", []string{"passwd", "-6", pw}, "$6$"},
		{"openssl passwd -5", "openssl", []string{"passwd", "-5", pw}, "$5$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := run(t, tt.tool, tt.args...)
			if !strings.HasPrefix(h, tt.prefix) {
				t.Fatalf("%s made %q, want prefix %q", tt.tool, h, tt.prefix)
			}
			if err := Verify(h, pw); err != nil {
				t.Fatalf("Verify(%q) = %v", h, err)
			}
			if err := Verify(h, pw[:len(pw)-1]); !errors.Is(err, ErrMismatch) {
				t.Errorf("Verify with a wrong password = %v, want ErrMismatch", err)
			}
		})
	}
}

// TestVerifyErrors: what shadow(5) hash fields that are not hashes of
// the password give.
func TestVerifyErrors(t *testing.T) {
	const good6 = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
	tests := []struct {
		name, hash, password string
		want                 error
	}{
		{"empty hash, empty password", "", "", nil},
		{"empty hash, a password", "", "x", ErrMismatch},
		{"locked", "!" + good6, "Hello world!", ErrLocked},
		{"locked, no hash", "!", "", ErrLocked},
		{"locked twice", "!!", "", ErrLocked},
		{"no password", "*", "", ErrUnsupported},
		{"shadowed", "x", "x", ErrUnsupported},
		{"md5crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "password", ErrUnsupported},
		{"bcrypt", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.z6PrHbuSsMSSwIGFy1JGevQZf6CqJ1y", "Hello world!", ErrUnsupported},
		{"scrypt $7$", "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D", "pleaseletmein", ErrUnsupported},
		{"descrypt", "abMbH7WsHr7wQ", "Hello world!", ErrUnsupported},
		{"wrong digest", good6[:len(good6)-1] + "2", "Hello world!", ErrMismatch},
		{"digest cut", good6[:len(good6)-1], "Hello world!", ErrMismatch},
		{"rounds below minimum", "$6$rounds=10$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.", "the minimum number is still observed", ErrFormat},
		{"rounds leading zero", "$6$rounds=01000$salt$x", "", ErrFormat},
		{"rounds not a number", "$6$rounds=abc$salt$x", "", ErrFormat},
		{"rounds unterminated", "$6$rounds=5000", "", ErrFormat},
		{"rounds overflow", "$6$rounds=99999999999999999999$salt$x", "", ErrFormat},
		{"rounds beyond the spec", "$5$rounds=1000000000$salt$x", "", ErrFormat},
		{"rounds beyond our limit", "$6$rounds=999999999$salt$x", "", ErrCost},
		{"colon in salt", "$6$sa:lt$x", "", ErrFormat},
		{"yescrypt N=2^24", "$y$jL5$salt$x", "", ErrCost},          // r = 8: 16 GiB
		{"yescrypt 16 GiB", "$y$jKT$salt$x", "", ErrCost},          // N = 2^22, r = 32
		{"yescrypt r=8754", "$y$j9u./$salt$x", "", ErrCost},        // N = 2^12: 4.5 GB
		{"yescrypt r=17318449", "$y$j.z.....$salt$x", "", ErrCost}, // r beyond 2^23
		{"yescrypt r·p too large", "$y$j9T.zzzzzz$salt$x", "", ErrFormat},
		{"yescrypt t too large", "$y$j9T/zzzzzz$salt$x", "", ErrCost},
		{"yescrypt ROM", "$y$j9T5/$salt$x", "", ErrUnsupported},
		{"yescrypt upgrade", "$y$j9T1/$salt$x", "", ErrUnsupported},
		{"yescrypt other pwxform", "$y$i9T$salt$x", "", ErrUnsupported},
		{"yescrypt bad flavor", "$y$zzzzzz9T$salt$x", "", ErrFormat},
		{"yescrypt scrypt with t", "$y$.9T//$salt$x", "", ErrFormat},
		{"yescrypt no parameters", "$y$", "", ErrFormat},
		{"yescrypt bad salt", "$y$j9T$a$x", "", ErrFormat},
		{"yescrypt salt high bits", "$y$j9T$/z$x", "", ErrFormat},
		{"yescrypt salt too long", "$y$j9T$" + strings.Repeat("....", 22) + "$x", "", ErrFormat},
		{"password too long", good6, strings.Repeat("a", MaxPasswordLen+1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.hash, tt.password)
			if tt.name == "password too long" {
				if err == nil {
					t.Fatal("Verify accepted a password over MaxPasswordLen")
				}
				return
			}
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify(%q) = %v, want %v", tt.hash, err, tt.want)
			}
		})
	}
}

// TestTruncatedHashes cuts valid hashes at every byte: each prefix is a
// mismatch or an error, never a match or a panic.
func TestTruncatedHashes(t *testing.T) {
	for _, v := range []vector{
		{"sha512", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
		{"sha256", "ab", "$5$rounds=1000$saltstring$Ndn3qi4Vkx11hLCK8fYx/utZ8feeqrzddAFNzEVII2A"},
		{"yescrypt", "pleaseletmein", "$y$j0/$LdJM$k7BXzSDuoGHW56SY3HxROCiA0gWRscZe2aA0q5oHPM0"},
	} {
		for i := range len(v.hash) {
			if err := Verify(v.hash[:i], v.password); err == nil {
				t.Errorf("%s: prefix %q verified", v.name, v.hash[:i])
			}
		}
	}
}

// FuzzParseSetting feeds hostile hash fields to the parsers: they give
// errors, never panics, and whatever they accept stays within the cost
// limits.
func FuzzParseSetting(f *testing.F) {
	for _, s := range []string{
		"$y$j9T$wRNOzBt/o8Eo5ypI9JKut.$8H/Zftk.v1OXcDJp/4KMZxioh9lbPKnWRO3MlK3znu9",
		"$y$j5..3$LdJMENpBAB3$xi27PTUNd8NsChHeLOz85JFnUOyibRHkWzprowRlR5/",
		"$y$jD5.7$LdJMENpBABJJ3hIHjB1Bi.$HboGM6qPrsK.StKYGt6KErmUYtioHreJd98oIugoNB6",
		"$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"!$6$x$y", "*", "", "$y$", "$y$zzzzzz", "$6$rounds=", "$y$j9T8zzzzzz$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch {
		case strings.HasPrefix(s, yescryptPrefix):
			yp, prefix, salt, err := parseYescrypt(s)
			if err != nil {
				return
			}
			if yp.memory() > MaxYescryptMemory || yp.nLog2 > 23 || len(salt) > yesMaxSaltLen || !strings.HasPrefix(s, prefix) {
				t.Fatalf("accepted %q: %+v, prefix %q, %d-byte salt", s, yp, prefix, len(salt))
			}
		case strings.HasPrefix(s, sha512Prefix), strings.HasPrefix(s, sha256Prefix):
			st, err := parseSHASetting(s[3:])
			if err != nil {
				return
			}
			if st.rounds < shaMinRounds || st.rounds > MaxRounds || len(st.salt) > shaMaxSalt || strings.ContainsAny(st.salt, "$:\n") {
				t.Fatalf("accepted %q: %+v", s, st)
			}
		default:
			if err := Verify(s, "x"); err == nil && s != "" {
				t.Fatalf("Verify(%q) matched", s)
			}
		}
	})
}

// BenchmarkVerify measures one login's hashing for Debian's defaults.
// `go test -bench Verify` also prints libxcrypt's time for the same
// hashes through python3's crypt module, when that is available, as
// the same-run baseline.
func BenchmarkVerify(b *testing.B) {
	for _, v := range []vector{
		{"yescrypt-j9T", "correct horse", "$y$j9T$wRNOzBt/o8Eo5ypI9JKut.$8H/Zftk.v1OXcDJp/4KMZxioh9lbPKnWRO3MlK3znu9"},
		{"sha512crypt-5000", "correct horse", "$6$E/vFU.vx8ZWoW4m8$n0HU6yzXg1H3ykICewf2V/ob0gD3ArnL.OPu3W1rMFySro0b4NCyJr0A2gObnF7ogAN2esmQQOnMKhFEgUi3N/"},
		{"sha256crypt-5000", "correct horse", "$5$jT1K4cbEDmyyPFD5$708WAKFNcpPkdbjxtzYHnuukq8oLqTlgB2sGUVPikG."},
	} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if err := Verify(v.hash, v.password); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestConcurrentVerify runs more yescrypt verifications at once than
// kdfSlots admits: all finish, each with its own answer.
func TestConcurrentVerify(t *testing.T) {
	const h = "$y$j75$LdJMENpBABJJ3hIHjB1Bi.$tUlUF19mIl6XpRTpX7LBp5ABKS8KSmDfP1gXFrZ6Sy8" // libxcrypt ka-table, password ""
	n := 3*cap(kdfSlots) + 1
	type result struct {
		i   int
		err error
	}
	results := make(chan result, n)
	for i := range n {
		pw := "" // even: the right password
		if i%2 == 1 {
			pw = "x"
		}
		go func() { results <- result{i, Verify(h, pw)} }()
	}
	for range n {
		r := <-results
		ok := r.err == nil
		if r.i%2 == 1 {
			ok = errors.Is(r.err, ErrMismatch)
		}
		if !ok {
			t.Errorf("verification %d: %v", r.i, r.err)
		}
	}
}
