package hostkey

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/sshstack/sshstack/wire"
)

// Private key file errors.
var (
	// ErrPassphraseNeeded means the key is encrypted and no passphrase
	// was given. The error is a *PassphraseMissingError.
	ErrPassphraseNeeded = errors.New("hostkey: private key is encrypted, passphrase needed")

	// ErrWrongPassphrase means decryption failed the check words or the
	// authentication tag: a wrong passphrase or a corrupt file.
	ErrWrongPassphrase = errors.New("hostkey: wrong passphrase or corrupt private key")

	// ErrUnsupportedKeyFile means the file is a format or uses an
	// encryption this package does not read (legacy encrypted PEM,
	// encrypted PKCS#8, security-key private keys).
	ErrUnsupportedKeyFile = errors.New("hostkey: unsupported private key file")
)

// A PassphraseMissingError is returned for an encrypted key file parsed
// without a passphrase. For "openssh-key-v1" files PublicKey, stored in
// clear in the file, lets a client offer the key before asking for the
// passphrase; for legacy encrypted PEM it is nil.
type PassphraseMissingError struct {
	PublicKey PublicKey
}

func (e *PassphraseMissingError) Error() string { return ErrPassphraseNeeded.Error() }
func (e *PassphraseMissingError) Unwrap() error { return ErrPassphraseNeeded }

// openSSHMagic starts an "openssh-key-v1" file (OpenSSH PROTOCOL.key).
const openSSHMagic = "openssh-key-v1\x00"

// MaxKDFRounds caps the bcrypt_pbkdf rounds a key file may ask for, so a
// hostile file cannot pin a CPU for hours; ssh-keygen's default is 16.
const MaxKDFRounds = 1 << 14

// ParsePrivateKey decodes a PEM private key file and returns a Signer for
// it. See ParseRawPrivateKey.
func ParsePrivateKey(data, passphrase []byte) (*CryptoSigner, error) {
	k, _, err := ParseRawPrivateKey(data, passphrase)
	if err != nil {
		return nil, err
	}
	return NewSigner(k)
}

// ParseRawPrivateKey decodes a PEM private key file: "OPENSSH PRIVATE
// KEY" (openssh-key-v1, OpenSSH PROTOCOL.key; unencrypted, or encrypted
// with bcrypt-pbkdf and aes{128,192,256}-ctr, aes{128,256}-cbc or
// aes{128,256}-gcm@openssh.com), "RSA PRIVATE KEY" (PKCS#1), "PRIVATE
// KEY" (PKCS#8) and "EC PRIVATE KEY" (SEC1), the last three also with
// legacy "Proc-Type: 4,ENCRYPTED" encryption (AES-CBC or DES-EDE3-CBC, as
// ssh-keygen -m PEM -N writes), and "ENCRYPTED PRIVATE KEY" (PKCS#8 with
// PBES2: PBKDF2 and AES-CBC, as ssh-keygen -m PKCS8 -N writes). The key is an
// ed25519.PrivateKey, *ecdsa.PrivateKey or *rsa.PrivateKey; comment is
// the openssh-key-v1 comment. passphrase is ignored for unencrypted
// files; an encrypted file without one gives a *PassphraseMissingError.
func ParseRawPrivateKey(data, passphrase []byte) (key crypto.Signer, comment string, err error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", fmt.Errorf("%w: no PEM block", ErrUnsupportedKeyFile)
	}
	der := block.Bytes
	encrypted := false
	if _, ok := block.Headers["Proc-Type"]; ok && block.Type != "OPENSSH PRIVATE KEY" {
		var err error
		if der, err = decryptLegacyPEM(block, passphrase); err != nil {
			return nil, "", err
		}
		encrypted = true
	}
	// With legacy encryption a wrong passphrase often passes the padding
	// check and fails here.
	wrap := func(what string, err error) error {
		if encrypted {
			return ErrWrongPassphrase
		}
		return fmt.Errorf("hostkey: %s key: %w", what, err)
	}
	switch block.Type {
	case "OPENSSH PRIVATE KEY":
		return parseOpenSSHPrivateKey(block.Bytes, passphrase)
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, "", wrap("PKCS#1", err)
		}
		return k, "", nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(der)
		if err != nil {
			return nil, "", wrap("SEC1", err)
		}
		return k, "", nil
	case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		if block.Type == "ENCRYPTED PRIVATE KEY" {
			var err error
			if der, err = decryptPKCS8(der, passphrase); err != nil {
				return nil, "", err
			}
			encrypted = true
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, "", wrap("PKCS#8", err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, "", fmt.Errorf("%w: PKCS#8 %T", ErrUnsupportedKeyFile, k)
		}
		return s, "", nil
	}
	return nil, "", fmt.Errorf("%w: PEM type %q", ErrUnsupportedKeyFile, wire.Sanitize(block.Type))
}

// keyCipher describes a private-key file cipher.
type keyCipher struct {
	keyLen, ivLen, blockSize, tagLen int
	mode                             string // "ctr", "cbc", "gcm"
}

var keyCiphers = map[string]keyCipher{
	"none":                   {0, 0, 8, 0, ""},
	"aes128-ctr":             {16, 16, 16, 0, "ctr"},
	"aes192-ctr":             {24, 16, 16, 0, "ctr"},
	"aes256-ctr":             {32, 16, 16, 0, "ctr"},
	"aes128-cbc":             {16, 16, 16, 0, "cbc"},
	"aes256-cbc":             {32, 16, 16, 0, "cbc"},
	"aes128-gcm@openssh.com": {16, 12, 16, 16, "gcm"},
	"aes256-gcm@openssh.com": {32, 12, 16, 16, "gcm"},
}

// crypt encrypts or decrypts buf in place; for GCM, decryption takes
// and encryption appends the tag.
func (kc keyCipher) crypt(key, iv, buf, tag []byte, encrypt bool) ([]byte, error) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	switch kc.mode {
	case "ctr":
		cipher.NewCTR(blk, iv).XORKeyStream(buf, buf)
		return buf, nil
	case "cbc":
		if len(buf)%aes.BlockSize != 0 {
			return nil, ErrWrongPassphrase
		}
		if encrypt {
			cipher.NewCBCEncrypter(blk, iv).CryptBlocks(buf, buf)
		} else {
			cipher.NewCBCDecrypter(blk, iv).CryptBlocks(buf, buf)
		}
		return buf, nil
	case "gcm":
		g, err := cipher.NewGCM(blk)
		if err != nil {
			return nil, err
		}
		if encrypt {
			return g.Seal(buf[:0], iv, buf, nil), nil
		}
		out, err := g.Open(buf[:0], iv, append(buf, tag...), nil)
		if err != nil {
			return nil, ErrWrongPassphrase
		}
		return out, nil
	}
	return buf, nil
}

// openOpenSSHPrivateKey checks an openssh-key-v1 file (OpenSSH
// PROTOCOL.key) and returns its private section, decrypted with
// passphrase if need be, the cipher's block size and the public key.
func openOpenSSHPrivateKey(b, passphrase []byte) (priv []byte, blockSize int, pub PublicKey, err error) {
	if !bytes.HasPrefix(b, []byte(openSSHMagic)) {
		return nil, 0, nil, &wire.DecodeError{Msg: "openssh-key-v1", Detail: "magic", Err: wire.ErrInvalid}
	}
	r := wire.NewReader(b[len(openSSHMagic):])
	cipherName := r.Text()
	kdfName := r.Text()
	kdfOpts := r.StringBytes()
	nkeys := r.Uint32()
	pubBlob := r.StringBytes()
	enc := r.StringBytes()
	tag := r.Rest()
	if err := r.Finish("openssh-key-v1"); err != nil {
		return nil, 0, nil, err
	}
	if nkeys != 1 {
		return nil, 0, nil, fmt.Errorf("%w: %d keys in one file", ErrUnsupportedKeyFile, nkeys)
	}
	kc, ok := keyCiphers[cipherName]
	if !ok {
		return nil, 0, nil, fmt.Errorf("%w: cipher %q", ErrUnsupportedKeyFile, wire.Sanitize(cipherName))
	}
	if len(tag) != kc.tagLen {
		return nil, 0, nil, &wire.DecodeError{Msg: "openssh-key-v1", Err: wire.ErrTrailingData}
	}
	pub, err = ParsePublicKey(pubBlob)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("hostkey: openssh-key-v1 public key: %w", err)
	}
	if len(enc)%kc.blockSize != 0 {
		return nil, 0, nil, &wire.DecodeError{Msg: "openssh-key-v1", Detail: "private section not a multiple of the block size", Err: wire.ErrInvalid}
	}
	priv = append([]byte(nil), enc...)
	switch {
	case cipherName == "none" && kdfName == "none" && len(kdfOpts) == 0:
	case cipherName != "none" && kdfName == "bcrypt":
		kr := wire.NewReader(kdfOpts)
		salt := kr.StringBytes()
		rounds := kr.Uint32()
		if err := kr.End("bcrypt kdf options"); err != nil {
			return nil, 0, nil, err
		}
		if rounds < 1 || rounds > MaxKDFRounds || len(salt) == 0 {
			return nil, 0, nil, fmt.Errorf("%w: bcrypt rounds %d", ErrUnsupportedKeyFile, rounds)
		}
		if len(passphrase) == 0 {
			return nil, 0, nil, &PassphraseMissingError{PublicKey: pub}
		}
		kiv, err := BcryptPBKDF(passphrase, salt, int(rounds), kc.keyLen+kc.ivLen)
		if err != nil {
			return nil, 0, nil, err
		}
		if priv, err = kc.crypt(kiv[:kc.keyLen], kiv[kc.keyLen:], priv, tag, false); err != nil {
			return nil, 0, nil, err
		}
	default:
		return nil, 0, nil, fmt.Errorf("%w: cipher %q with kdf %q", ErrUnsupportedKeyFile, wire.Sanitize(cipherName), wire.Sanitize(kdfName))
	}
	return priv, kc.blockSize, pub, nil
}

func parseOpenSSHPrivateKey(b, passphrase []byte) (crypto.Signer, string, error) {
	priv, blockSize, pub, err := openOpenSSHPrivateKey(b, passphrase)
	if err != nil {
		return nil, "", err
	}
	key, comment, err := parsePrivateSection(priv, blockSize)
	if err != nil {
		return nil, "", err
	}
	kp, err := NewPublicKey(key.Public())
	if err != nil || !Equal(kp, pub) {
		return nil, "", fmt.Errorf("%w: public and private halves differ", ErrInvalidKey)
	}
	return key, comment, nil
}

// parsePrivateSection decodes the decrypted list: two equal check words,
// the key, its comment and padding 1, 2, 3, ... (OpenSSH PROTOCOL.key).
func parsePrivateSection(b []byte, blockSize int) (crypto.Signer, string, error) {
	r := wire.NewReader(b)
	c1, c2 := r.Uint32(), r.Uint32()
	if r.Failed() {
		return nil, "", r.Finish("openssh-key-v1 private section")
	}
	if c1 != c2 {
		return nil, "", ErrWrongPassphrase
	}
	typ := r.Text()
	var key crypto.Signer
	switch typ {
	case ED25519:
		pk := r.StringBytes()
		sk := r.StringBytes()
		if r.Failed() {
			break
		}
		if len(pk) != ed25519.PublicKeySize || len(sk) != ed25519.PrivateKeySize || subtle.ConstantTimeCompare(sk[32:], pk) != 1 {
			return nil, "", fmt.Errorf("%w: ed25519 private key", ErrInvalidKey)
		}
		k := ed25519.NewKeyFromSeed(sk[:32])
		if !bytes.Equal(k[32:], pk) {
			return nil, "", fmt.Errorf("%w: ed25519 seed does not give the public key", ErrInvalidKey)
		}
		key = k
	case ECDSAP256, ECDSAP384, ECDSAP521:
		pub, err := readECPoint(r, typ)
		if err != nil {
			return nil, "", err
		}
		d := r.MPIntBytes()
		if r.Failed() {
			break
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(d) > size {
			return nil, "", fmt.Errorf("%w: ecdsa scalar", ErrInvalidKey)
		}
		k, err := ecdsa.ParseRawPrivateKey(pub.Curve, append(make([]byte, size-len(d)), d...))
		if err != nil || !k.PublicKey.Equal(pub) {
			return nil, "", fmt.Errorf("%w: ecdsa private key", ErrInvalidKey)
		}
		key = k
	case RSA:
		n, e, d := r.MPInt(), r.MPInt(), r.MPInt()
		_ = r.MPInt() // iqmp, recomputed by Precompute
		p, q := r.MPInt(), r.MPInt()
		if r.Failed() {
			break
		}
		if e.BitLen() > maxRSAExponentBits {
			return nil, "", fmt.Errorf("%w: rsa exponent", ErrInvalidKey)
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: d, Primes: []*big.Int{p, q}}
		if err := k.Validate(); err != nil {
			return nil, "", fmt.Errorf("%w: rsa private key: %v", ErrInvalidKey, err)
		}
		k.Precompute()
		key = k
	case SKED25519, SKECDSAP256:
		return nil, "", fmt.Errorf("%w: %s keys sign on an authenticator", ErrUnsupportedKeyFile, typ)
	default:
		if !r.Failed() {
			return nil, "", fmt.Errorf("%w: private key type %q", ErrUnknownAlgorithm, wire.Sanitize(typ))
		}
	}
	comment := r.Text()
	pad := r.Rest()
	if err := r.Finish("openssh-key-v1 private section"); err != nil {
		return nil, "", err
	}
	if len(pad) >= blockSize {
		return nil, "", &wire.DecodeError{Msg: "openssh-key-v1 private section", Detail: "padding", Err: wire.ErrInvalid}
	}
	for i, c := range pad {
		if c != byte(i+1) {
			return nil, "", &wire.DecodeError{Msg: "openssh-key-v1 private section", Detail: "padding", Err: wire.ErrInvalid}
		}
	}
	return key, comment, nil
}

// KeyFileOptions controls MarshalPrivateKey.
type KeyFileOptions struct {
	// Cipher encrypts the file when a passphrase is given:
	// "aes256-ctr" (the default, as ssh-keygen) or any cipher
	// ParseRawPrivateKey reads.
	Cipher string
	// Rounds is the bcrypt_pbkdf rounds; 0 means 16 (ssh-keygen -a).
	Rounds int
	// Rand supplies the salt and check words; nil means crypto/rand.
	Rand io.Reader
}

// MarshalPrivateKey encodes key (ed25519.PrivateKey, *ecdsa.PrivateKey
// or *rsa.PrivateKey) as a PEM "OPENSSH PRIVATE KEY" file that ssh and
// ssh-keygen read. A non-empty passphrase encrypts it with bcrypt-pbkdf
// and opts.Cipher; opts may be nil.
func MarshalPrivateKey(key crypto.PrivateKey, comment string, passphrase []byte, opts *KeyFileOptions) ([]byte, error) {
	if k, ok := key.(*ed25519.PrivateKey); ok {
		key = *k
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnknownAlgorithm, key)
	}
	pub, err := NewPublicKey(s.Public())
	if err != nil {
		return nil, err
	}
	fields := wire.AppendString(nil, pub.Type())
	switch k := key.(type) {
	case ed25519.PrivateKey:
		fields = wire.AppendString(fields, k[32:])
		fields = wire.AppendString(fields, k)
	case *ecdsa.PrivateKey:
		fields = pub.(*ecdsaKey).appendFields(fields)
		d, err := k.Bytes()
		if err != nil {
			return nil, err
		}
		fields = wire.AppendMPIntBytes(fields, d)
	case *rsa.PrivateKey:
		if len(k.Primes) != 2 {
			return nil, fmt.Errorf("%w: multi-prime rsa key", ErrUnsupportedKeyFile)
		}
		p, q := k.Primes[0], k.Primes[1]
		iqmp := new(big.Int).ModInverse(q, p)
		if iqmp == nil {
			return nil, fmt.Errorf("%w: rsa primes", ErrInvalidKey)
		}
		for _, v := range []*big.Int{k.N, big.NewInt(int64(k.E)), k.D, iqmp, p, q} {
			fields = wire.AppendMPInt(fields, v)
		}
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnknownAlgorithm, key)
	}
	return sealPrivateKey(pub, fields, comment, passphrase, opts)
}

// sealPrivateKey writes an openssh-key-v1 file holding one key: pub,
// and fields, the key's private serialisation (type name first).
func sealPrivateKey(pub PublicKey, fields []byte, comment string, passphrase []byte, opts *KeyFileOptions) ([]byte, error) {
	if opts == nil {
		opts = &KeyFileOptions{}
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	cipherName, kdfName := "none", "none"
	var kdfOpts []byte
	var salt []byte
	rounds := 0
	if len(passphrase) > 0 {
		cipherName, kdfName = opts.Cipher, "bcrypt"
		if cipherName == "" {
			cipherName = "aes256-ctr"
		}
		rounds = opts.Rounds
		if rounds == 0 {
			rounds = 16
		}
		if rounds < 1 || rounds > MaxKDFRounds {
			return nil, fmt.Errorf("hostkey: bcrypt rounds %d out of range", rounds)
		}
		salt = make([]byte, 16)
		if _, err := io.ReadFull(rnd, salt); err != nil {
			return nil, err
		}
		kdfOpts = wire.AppendString(nil, salt)
		kdfOpts = wire.AppendUint32(kdfOpts, uint32(rounds))
	}
	kc, ok := keyCiphers[cipherName]
	if !ok || cipherName == "none" && kdfName != "none" {
		return nil, fmt.Errorf("%w: cipher %q", ErrUnsupportedKeyFile, cipherName)
	}

	var check [4]byte
	if _, err := io.ReadFull(rnd, check[:]); err != nil {
		return nil, err
	}
	priv := append(check[:], check[:]...)
	priv = append(priv, fields...)
	priv = wire.AppendString(priv, comment)
	for i := 1; len(priv)%kc.blockSize != 0; i++ {
		priv = append(priv, byte(i))
	}
	var tag []byte
	if kdfName == "bcrypt" {
		kiv, err := BcryptPBKDF(passphrase, salt, rounds, kc.keyLen+kc.ivLen)
		if err != nil {
			return nil, err
		}
		out, err := kc.crypt(kiv[:kc.keyLen], kiv[kc.keyLen:], priv, nil, true)
		if err != nil {
			return nil, err
		}
		priv, tag = out[:len(priv)], out[len(priv):]
	}

	b := []byte(openSSHMagic)
	b = wire.AppendString(b, cipherName)
	b = wire.AppendString(b, kdfName)
	b = wire.AppendString(b, kdfOpts)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = wire.AppendString(b, pub.Marshal())
	b = wire.AppendString(b, priv)
	b = append(b, tag...)
	return pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: b}), nil
}
