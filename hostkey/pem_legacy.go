package hostkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/sshstack/sshstack/wire"
)

// decryptLegacyPEM decrypts a PEM block with RFC 1421 "Proc-Type:
// 4,ENCRYPTED" headers, as OpenSSL and ssh-keygen -m PEM -N write them:
// the key is OpenSSL's EVP_BytesToKey (MD5, one iteration, the first 8
// bytes of the IV as salt) and the cipher CBC with PKCS#7 padding. There
// is no integrity check: a wrong passphrase shows as bad padding or as a
// DER error later, both reported as ErrWrongPassphrase.
func decryptLegacyPEM(block *pem.Block, passphrase []byte) ([]byte, error) {
	if block.Headers["Proc-Type"] != "4,ENCRYPTED" {
		return nil, fmt.Errorf("%w: Proc-Type %q", ErrUnsupportedKeyFile, wire.Sanitize(block.Headers["Proc-Type"]))
	}
	name, ivHex, _ := strings.Cut(block.Headers["DEK-Info"], ",")
	var keyLen int
	var newBlock func([]byte) (cipher.Block, error)
	switch name {
	case "AES-128-CBC", "AES-192-CBC", "AES-256-CBC":
		keyLen = map[string]int{"AES-128-CBC": 16, "AES-192-CBC": 24, "AES-256-CBC": 32}[name]
		newBlock = aes.NewCipher
	case "DES-EDE3-CBC":
		keyLen, newBlock = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("%w: PEM cipher %q", ErrUnsupportedKeyFile, wire.Sanitize(name))
	}
	iv, err := hex.DecodeString(ivHex)
	if err != nil || len(iv) < 8 {
		return nil, fmt.Errorf("%w: DEK-Info IV", ErrUnsupportedKeyFile)
	}
	if len(passphrase) == 0 {
		return nil, &PassphraseMissingError{}
	}
	// EVP_BytesToKey: D_1 = MD5(pass || salt), D_i = MD5(D_i-1 || pass || salt).
	var key, d []byte
	for len(key) < keyLen {
		h := md5.New()
		h.Write(d)
		h.Write(passphrase)
		h.Write(iv[:8])
		d = h.Sum(nil)
		key = append(key, d...)
	}
	c, err := newBlock(key[:keyLen])
	if err != nil {
		return nil, err
	}
	if len(iv) != c.BlockSize() || len(block.Bytes) == 0 || len(block.Bytes)%c.BlockSize() != 0 {
		return nil, fmt.Errorf("%w: encrypted PEM length", ErrUnsupportedKeyFile)
	}
	out := make([]byte, len(block.Bytes))
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(out, block.Bytes)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > c.BlockSize() {
		return nil, ErrWrongPassphrase
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, ErrWrongPassphrase
		}
	}
	return out[:len(out)-pad], nil
}
