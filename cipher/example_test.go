package cipher_test

import (
	"fmt"

	"github.com/sshstack/sshstack/cipher"
)

// Enabling a legacy cipher for old network equipment, as
// "Ciphers +aes128-cbc" in ssh_config does.
func ExampleApplyModifiers() {
	list, err := cipher.ApplyModifiers(cipher.DefaultCiphers(), "+aes128-cbc")
	if err != nil {
		panic(err)
	}
	fmt.Println(list)
	macs, _ := cipher.ApplyModifiers(cipher.DefaultMACs(), "-*-etm@openssh.com")
	fmt.Println(macs)
	// Output:
	// [chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com aes128-ctr aes192-ctr aes256-ctr aes128-cbc]
	// [hmac-sha2-256 hmac-sha2-512]
}

// What the key exchange needs to know about a negotiated cipher and MAC
// (RFC 4253, Section 7.2).
func ExampleLookupAlgorithm() {
	a, _ := cipher.LookupAlgorithm(cipher.AES256GCM)
	fmt.Println(a.KeySize, a.IVSize, a.AEAD())
	m, _ := cipher.LookupMAC(cipher.HMACSHA256ETM)
	fmt.Println(m.KeySize, m.Size, m.ETM)
	// Output:
	// 32 12 true
	// 32 32 true
}
