package client

// SOCKSHandshake exposes the SOCKS4/4A/5 request parser to the tests.
var SOCKSHandshake = socksHandshake
