package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
)

// marshalPEMKey writes a private key as ssh-keygen -m PEM or -m PKCS8
// does through OpenSSL: PKCS #1 (RSA) or SEC1 (ECDSA) PEM, encrypted
// with the legacy Proc-Type/DEK-Info AES-128-CBC; or PKCS #8, encrypted
// with PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC), as
// OpenSSL 3 does by default. It returns nil for a key OpenSSH writes
// in its own format whatever -m says (Ed25519).
func marshalPEMKey(key *hostkey.CryptoSigner, format, pass string) ([]byte, error) {
	var block *pem.Block
	switch k := key.Crypto().(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
		if strings.EqualFold(format, "PKCS8") {
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				return nil, err
			}
			block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
		} else if rk, isRSA := k.(*rsa.PrivateKey); isRSA {
			block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}
		} else {
			der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
			if err != nil {
				return nil, err
			}
			block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
		}
	default:
		return nil, nil
	}
	if pass == "" {
		return pem.EncodeToMemory(block), nil
	}
	if len(pass) < 5 {
		return nil, fmt.Errorf("passphrase is too short (minimum five characters)")
	}
	if block.Type == "PRIVATE KEY" {
		der, err := encryptPKCS8(block.Bytes, pass)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), nil
	}
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	// EVP_BytesToKey with MD5 and one iteration: 16 bytes are one block.
	k := md5.Sum(append([]byte(pass), iv[:8]...))
	block.Headers = map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC," + strings.ToUpper(hex.EncodeToString(iv))}
	var err error
	if block.Bytes, err = cbcEncrypt(k[:], iv, block.Bytes); err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(block), nil
}

// cbcEncrypt pads with PKCS #7 and encrypts with AES-CBC.
func cbcEncrypt(key, iv, data []byte) ([]byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	n := aes.BlockSize - len(data)%aes.BlockSize
	out := append([]byte(nil), data...)
	for i := 0; i < n; i++ {
		out = append(out, byte(n))
	}
	cipher.NewCBCEncrypter(c, iv).CryptBlocks(out, out)
	return out, nil
}

// PKCS #5 v2.1 (RFC 8018) and NIST object identifiers.
var (
	oidPBES2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES256CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	PRF        pkix.AlgorithmIdentifier
}

type pbes2Params struct {
	KDF, Cipher pkix.AlgorithmIdentifier
}

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

// encryptPKCS8 is RFC 5958's EncryptedPrivateKeyInfo with PBES2.
func encryptPKCS8(der []byte, pass string) ([]byte, error) {
	const iter = 2048
	salt, iv := make([]byte, 8), make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(sha256.New, pass, salt, iter, 32)
	if err != nil {
		return nil, err
	}
	enc, err := cbcEncrypt(key, iv, der)
	if err != nil {
		return nil, err
	}
	null := asn1.RawValue{Tag: asn1.TagNull}
	kdf, err := asn1.Marshal(pbkdf2Params{Salt: salt, Iterations: iter, PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACWithSHA256, Parameters: null}})
	if err != nil {
		return nil, err
	}
	ivDER, err := asn1.Marshal(iv)
	if err != nil {
		return nil, err
	}
	params, err := asn1.Marshal(pbes2Params{
		KDF:    pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		Cipher: pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivDER}},
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}},
		Data:      enc,
	})
}
