package keyagent

import (
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
)

// FingerprintFunc returns the fingerprint function of a hash name as
// ssh-agent -E and ssh-add -E take it (md5, sha1, sha256, sha384, sha512,
// in any case): "MD5:" and hex pairs, or the hash's upper-case name and
// unpadded base64, as OpenSSH prints them.
func FingerprintFunc(name string) (func(hostkey.PublicKey) string, error) {
	var sum func([]byte) []byte
	switch strings.ToLower(name) {
	case "md5":
		return hostkey.FingerprintMD5, nil
	case "sha256":
		return hostkey.FingerprintSHA256, nil
	case "sha1":
		sum = func(b []byte) []byte { s := sha1.Sum(b); return s[:] }
	case "sha384":
		sum = func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }
	case "sha512":
		sum = func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }
	default:
		return nil, fmt.Errorf("keyagent: unknown fingerprint hash %q", name)
	}
	prefix := strings.ToUpper(name) + ":"
	return func(pub hostkey.PublicKey) string {
		return prefix + base64.RawStdEncoding.EncodeToString(sum(pub.Marshal()))
	}, nil
}
