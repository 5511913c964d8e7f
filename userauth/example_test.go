package userauth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// A client authenticates to a server: its first source, a password, is
// refused, and its second, an Ed25519 key, is accepted. Both sides run over
// an in-memory transport pair with a fixed session identifier; in real use
// the transport is the one kex.ClientHandshake or kex.ServerHandshake
// returns, whose session identifier comes from the key exchange.
func ExampleAuthenticate() {
	ctx := context.Background()
	userKey, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	ct, st := wiretest.Pipe()
	defer ct.Close()
	defer st.Close()
	ct.SetSessionID([]byte("session id from the key exchange"))
	st.SetSessionID([]byte("session id from the key exchange"))

	serverCfg := &userauth.ServerConfig{
		PasswordCallback: func(_ context.Context, m userauth.ConnMeta, password string) (*userauth.Permissions, error) {
			return nil, errors.New("wrong password")
		},
		// Called with the key that signed, after the signature verified.
		PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, k hostkey.PublicKey) (*userauth.Permissions, error) {
			if m.User == "alice" && hostkey.Equal(k, userKey.PublicKey()) {
				return nil, nil
			}
			return nil, errors.New("key not authorized")
		},
	}
	var res *userauth.Result
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() {
		res, serr = userauth.Serve(ctx, st, serverCfg, userauth.ConnInfo{})
	})

	ar, err := userauth.Authenticate(ctx, ct, &userauth.ClientConfig{
		User: "alice",
		Sources: []userauth.Method{
			userauth.StaticPassword("guess"),
			userauth.InMemoryPrivateKey(userKey),
		},
	})
	wg.Wait()
	if err != nil || serr != nil {
		fmt.Println(err, serr)
		return
	}
	fmt.Println("client authenticated:", ar.Authenticated())
	fmt.Println("server:", res.User, res.Methods, "after", res.Failures, "failure")
	// Output:
	// client authenticated: true
	// server: alice [publickey] after 1 failure
}
