package packet_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"github.com/sshstack/sshstack/wire/wiretest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
)

// TestInteropParamiko runs the suites paramiko 2.12 shares with us
// (aes-ctr and aes-cbc ciphers with the SHA-2 MACs, -etm included, and
// hmac-sha1) against a paramiko server on stdin/stdout
// (testdata/paramiko_server.py): test-only kex, publickey authentication,
// then a 200 KB echo. The compression method rotates over none, zlib
// (started at NEWKEYS) and zlib@openssh.com (started after
// USERAUTH_SUCCESS); paramiko flushes with Z_FULL_FLUSH. Skipped without
// python3 and paramiko.
func TestInteropParamiko(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paramiko").Run(); err != nil {
		wiretest.MissingPeer(t, "python3 with paramiko not installed")
	}
	dir := t.TempDir()
	_, hostKey, _ := ed25519.GenerateKey(rand.Reader)
	blk, err := ssh.MarshalPrivateKey(hostKey, "")
	if err != nil {
		t.Fatal(err)
	}
	hostPath := filepath.Join(dir, "host_ed25519")
	if err := os.WriteFile(hostPath, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, clientKey, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	pubB64 := base64.StdEncoding.EncodeToString(sshPub.Marshal())
	script, err := filepath.Abs("testdata/paramiko_server.py")
	if err != nil {
		t.Fatal(err)
	}
	ciphers := []string{cipher.AES128CTR, cipher.AES192CTR, cipher.AES256CTR, cipher.AES128CBC, cipher.AES256CBC, cipher.TripleDESCBC}
	macs := []string{cipher.HMACSHA256ETM, cipher.HMACSHA512ETM, cipher.HMACSHA256, cipher.HMACSHA512, cipher.HMACSHA1}
	comps := []string{packet.CompressionNone, packet.CompressionZlib, packet.CompressionDelayed}
	i := 0
	for _, c := range ciphers {
		for _, m := range macs {
			s := suite{c, m}
			comp := comps[i%len(comps)]
			i++
			t.Run(s.String()+"/"+comp, func(t *testing.T) {
				log := filepath.Join(dir, fmt.Sprint("p", i, ".log"))
				cmd := exec.Command(py, script, hostPath, pubB64, s.cipher, s.mac, comp)
				lf, err := os.Create(log)
				if err != nil {
					t.Fatal(err)
				}
				defer lf.Close()
				cmd.Stderr = lf
				conn := startPeer(t, cmd, log)
				tc := &testClient{t: t, c: conn, suite: s, comp: comp}
				tc.handshake()
				tc.serviceRequest()
				tc.publickey("user", clientKey)
				if comp == packet.CompressionDelayed {
					conn.EnableDelayedCompression()
				}
				echo(t, tc, 200<<10, comp != packet.CompressionNone)
			})
		}
	}
}
