// Package server will be the thin server facade that composes the layers
// for the server role (Serve, auth policy, channel handlers, limits), and
// will hold the gosshd command. Not implemented yet.
package server
