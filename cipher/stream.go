package cipher

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/des"
	"fmt"
)

// ctrStream adapts a CTR keystream to Stream (RFC 4344, Section 4).
type ctrStream struct{ s stdcipher.Stream }

func (c ctrStream) CryptBlocks(dst, src []byte) { c.s.XORKeyStream(dst, src) }

// noneStream leaves packets in the clear ("none", RFC 4253, Section 6.3).
type noneStream struct{}

func (noneStream) CryptBlocks(dst, src []byte) { copy(dst, src) }

func checkSizes(name string, key, iv []byte, keySize, ivSize int) error {
	if len(key) != keySize || len(iv) != ivSize {
		return fmt.Errorf("%w: %s needs a %d-byte key and a %d-byte IV, got %d and %d",
			ErrKeySize, name, keySize, ivSize, len(key), len(iv))
	}
	return nil
}

// newAESCTR returns the constructor of aesN-ctr (RFC 4344, Section 4): the
// IV is the initial counter block, incremented as a 128-bit big-endian
// integer across packets.
func newAESCTR(name string, keySize int) func(key, iv []byte, decrypt bool) (Stream, error) {
	return func(key, iv []byte, _ bool) (Stream, error) {
		if err := checkSizes(name, key, iv, keySize, aes.BlockSize); err != nil {
			return nil, err
		}
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("cipher: %s: %w", name, err)
		}
		return ctrStream{stdcipher.NewCTR(b, iv)}, nil
	}
}

// newCBC returns the constructor of a CBC-mode algorithm (RFC 4253,
// Section 6.3), chaining across packets.
func newCBC(name string, keySize, blockSize int, block func([]byte) (stdcipher.Block, error)) func(key, iv []byte, decrypt bool) (Stream, error) {
	return func(key, iv []byte, decrypt bool) (Stream, error) {
		if err := checkSizes(name, key, iv, keySize, blockSize); err != nil {
			return nil, err
		}
		b, err := block(key)
		if err != nil {
			return nil, fmt.Errorf("cipher: %s: %w", name, err)
		}
		if decrypt {
			return stdcipher.NewCBCDecrypter(b, iv), nil
		}
		return stdcipher.NewCBCEncrypter(b, iv), nil
	}
}

func newNone(key, iv []byte, _ bool) (Stream, error) {
	if err := checkSizes(None, key, iv, 0, 0); err != nil {
		return nil, err
	}
	return noneStream{}, nil
}

func init() {
	for _, a := range []struct {
		name    string
		keySize int
	}{{AES128CTR, 16}, {AES192CTR, 24}, {AES256CTR, 32}} {
		RegisterAlgorithm(&Algorithm{Name: a.name, KeySize: a.keySize, IVSize: aes.BlockSize,
			BlockSize: aes.BlockSize, NewStream: newAESCTR(a.name, a.keySize)})
	}
	RegisterAlgorithm(&Algorithm{Name: AES128CBC, KeySize: 16, IVSize: aes.BlockSize,
		BlockSize: aes.BlockSize, NewStream: newCBC(AES128CBC, 16, aes.BlockSize, aes.NewCipher)})
	RegisterAlgorithm(&Algorithm{Name: AES256CBC, KeySize: 32, IVSize: aes.BlockSize,
		BlockSize: aes.BlockSize, NewStream: newCBC(AES256CBC, 32, aes.BlockSize, aes.NewCipher)})
	RegisterAlgorithm(&Algorithm{Name: TripleDESCBC, KeySize: 24, IVSize: des.BlockSize,
		BlockSize: des.BlockSize, NewStream: newCBC(TripleDESCBC, 24, des.BlockSize, des.NewTripleDESCipher)})
	RegisterAlgorithm(&Algorithm{Name: None, BlockSize: 8, NewStream: newNone})
}
