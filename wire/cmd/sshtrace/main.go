// Command sshtrace draws an SSH session from trace files as a ladder
// (sequence) diagram of client and server: one arrow per message, tagged
// with its layer, with the key exchange, authentication, connection and
// every rekey shown as bands, and channel opens and window adjusts
// marked. It reads JSON-lines traces as wire.NewJSONTracer writes them
// (gossh -o TraceFile=, GOSSH_TRACE, gosshd's TraceDir): one file, or a
// client's and a server's trace of the same connection, which it pairs
// by their first KEXINIT cookie and draws as one.
//
// Usage:
//
//	sshtrace [-conn ID] [-layers transport,kex,userauth,connection,other] [-collapse] [-svg out.svg] trace.jsonl...
//
// The text diagram goes to standard output; -svg writes an SVG image
// instead. -conn picks a connection by the id in either trace (the
// default is the first); -list prints the connections. -collapse folds
// runs of CHANNEL_DATA, CHANNEL_EXTENDED_DATA and CHANNEL_WINDOW_ADJUST
// into one row with counts. See docs/sshtrace.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("sshtrace: usage: sshtrace [-conn ID] [-layers L,...] [-collapse] [-list] [-svg out.svg] trace.jsonl...")

// validLayers are wire.Layer's names.
var validLayers = []string{"transport", "kex", "userauth", "connection", "other"}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sshtrace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := fs.String("conn", "", "draw the connection with this id (either side's)")
	layers := fs.String("layers", "", "comma-separated layers to draw: "+strings.Join(validLayers, ","))
	collapse := fs.Bool("collapse", false, "fold runs of channel data and window adjusts into one row")
	svg := fs.String("svg", "", "write an SVG image to this file instead of text to stdout")
	list := fs.Bool("list", false, "list the connections in the traces")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() == 0 {
		return errUsage
	}
	var opt options
	opt.collapse = *collapse
	if *layers != "" {
		opt.layers = map[string]bool{}
		for _, l := range strings.Split(*layers, ",") {
			l = strings.TrimSpace(l)
			if !slices.Contains(validLayers, l) {
				return fmt.Errorf("sshtrace: unknown layer %q (want %s): %w", l, strings.Join(validLayers, ","), errUsage)
			}
			opt.layers[l] = true
		}
	}
	var views []*view
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("sshtrace: %w", err)
		}
		recs, err := readTrace(name, f)
		f.Close()
		if err != nil {
			return err
		}
		views = append(views, splitViews(recs)...)
	}
	sessions := pairViews(views)
	if len(sessions) == 0 {
		return errors.New("sshtrace: the traces hold no messages")
	}
	if *list {
		for _, s := range sessions {
			fmt.Fprintf(stdout, "%s: %d messages\n", s.name(), len(s.msgs))
		}
		return nil
	}
	s := sessions[0]
	if *conn != "" {
		s = nil
		for _, c := range sessions {
			for _, v := range c.views {
				if v != nil && v.conn == *conn {
					s = c
				}
			}
		}
		if s == nil {
			return fmt.Errorf("sshtrace: no connection %q in the traces (see -list)", *conn)
		}
	} else if len(sessions) > 1 {
		fmt.Fprintf(stderr, "sshtrace: %d connections in the traces, drawing %s (pick one with -conn, see -list)\n", len(sessions), s.name())
	}
	rows := ladder(s, opt)
	if *svg == "" {
		return writeText(stdout, s, rows)
	}
	f, err := os.Create(*svg)
	if err != nil {
		return fmt.Errorf("sshtrace: %w", err)
	}
	if err := writeSVG(f, s, rows); err != nil {
		f.Close()
		return fmt.Errorf("sshtrace: writing %s: %w", *svg, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sshtrace: writing %s: %w", *svg, err)
	}
	return nil
}
