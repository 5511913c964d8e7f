package client

// SOCKSHandshake exposes the SOCKS5 request parser to the tests.
var SOCKSHandshake = socksHandshake
