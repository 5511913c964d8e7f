// Package client will be the thin client facade that composes the packet,
// kex, userauth and connection layers (Dial, sessions, forwarding), and
// will hold the gossh command. Not implemented yet.
package client
