package gssapi_test

import (
	"context"
	"fmt"

	"github.com/sshstack/sshstack/gssapi"
)

// An initiator and an acceptor establish a Kerberos V5 security context in
// one process, then protect a message with it: the token loop is the same
// when the tokens travel in SSH messages.
//
// This needs a KDC, so it has no Output comment: go test compiles it but
// does not run it. To run it, point KRB5_CONFIG at the realm's krb5.conf,
// KRB5CCNAME at a cache holding a TGT (kinit), and KRB5_KTNAME at a keytab
// holding host/server.example. Package krb5test starts a throwaway MIT KDC
// for tests, and conformance's TestGSSOurInitiatorMITAcceptor runs this
// exchange against MIT's own library.
func ExampleNewInitContext() {
	ctx := context.Background()
	ini, err := gssapi.NewInitContext(gssapi.HostbasedService("host", "server.example"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	acc, err := gssapi.NewAcceptContext(nil) // the keytab named by KRB5_KTNAME
	if err != nil {
		fmt.Println(err)
		return
	}

	tok, err := ini.Step(ctx, nil) // AP-REQ; gets a service ticket from the KDC
	for err == nil && !(ini.Established() && acc.Established()) {
		if !acc.Established() {
			tok, err = acc.Step(ctx, tok) // AP-REP, for mutual authentication
		}
		if err == nil && !ini.Established() {
			tok, err = ini.Step(ctx, tok)
		}
	}
	if err != nil {
		fmt.Println(err) // an *gssapi.Error: test it with errors.Is
		return
	}

	msg := []byte("exchange hash")
	mic, err := ini.GetMIC(msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := acc.VerifyMIC(msg, mic); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("authenticated", acc.PeerName())
}
