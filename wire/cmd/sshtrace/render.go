package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Text layout: a time and layer column, then the two lifelines.
const (
	textWidth = 54 // columns between the lifelines
)

func pad(s string, n int) string {
	if c := utf8.RuneCountInString(s); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func ms(r row) string { return fmt.Sprintf("%.1fms", float64(r.at.Microseconds())/1000) }

// header is the first line of both drawings.
func header(s *session, rows []row) string {
	n := 0
	for _, r := range rows {
		n += r.count
	}
	return fmt.Sprintf("%s: %d of %d messages", s.name(), n, len(s.msgs))
}

// note says when a message is missing from one of two traces.
func note(s *session, r row) string {
	if r.count != 1 || s.views[client] == nil || s.views[server] == nil {
		return ""
	}
	for who, seen := range r.arrow.seen {
		if !seen {
			return "(not in the " + side(who).String() + "'s trace)"
		}
	}
	return ""
}

// writeText draws rows for a terminal.
func writeText(w io.Writer, s *session, rows []row) error {
	var b strings.Builder
	left := pad("", 10+1+10+1)
	fmt.Fprintf(&b, "%s\n", header(s, rows))
	fmt.Fprintf(&b, "%s%s%s\n", pad(pad("time", 10)+" layer", len(left)-3), pad("client", textWidth+2), "server")
	fmt.Fprintf(&b, "%s│%s│\n", left, strings.Repeat(" ", textWidth))
	for _, r := range rows {
		if r.band != "" {
			t := "══ " + r.band + " "
			fmt.Fprintf(&b, "%s%s\n", t, strings.Repeat("═", len(left)+textWidth+2-utf8.RuneCountInString(t)))
			continue
		}
		label := truncate(r.label(), textWidth-6)
		fill := textWidth - 4 - utf8.RuneCountInString(label)
		var arrow string
		switch {
		case r.mark == "fold":
			arrow = "◀═ " + label + " " + strings.Repeat("═", fill-1) + "▶"
		case r.arrow.from == client:
			arrow = "─ " + label + " " + strings.Repeat("─", fill) + "▶"
		default:
			arrow = "◀" + strings.Repeat("─", fill) + " " + label + " ─"
		}
		line := fmt.Sprintf("%s %s │%s│", pad(ms(r), 10), pad(r.arrow.layer, 10), arrow)
		extra := strings.TrimSpace(strings.Join([]string{markText(r.mark), r.detail(), note(s, r)}, " "))
		if extra != "" {
			line += " " + extra
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	fmt.Fprintf(&b, "%s│%s│\n", left, strings.Repeat(" ", textWidth))
	_, err := io.WriteString(w, b.String())
	return err
}

func markText(m string) string {
	if m == "" || m == "fold" {
		return ""
	}
	return "[" + m + "]"
}

// SVG layout, in pixels.
const (
	svgRow     = 22
	svgTop     = 70
	svgClientX = 250
	svgServerX = 690
	svgWidth   = 1400
)

// layerColors gives each layer's arrows a colour.
var layerColors = map[string]string{
	"transport": "#555555", "kex": "#b03a2e", "userauth": "#1f618d", "connection": "#1e8449", "other": "#7d3c98",
}

// bandColors shades each kind of phase.
func bandColor(phase string) string {
	switch {
	case phase == "key exchange":
		return "#f5d5d0"
	case strings.HasPrefix(phase, "rekey"):
		return "#f9e79f"
	case phase == "authentication":
		return "#d4e6f1"
	case phase == "connection":
		return "#d5f5e3"
	}
	return "#eeeeee"
}

func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			// XML 1.0 allows tab, newline, CR and printable text only.
			if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF && r != utf8.RuneError) {
				b.WriteRune(r)
			} else {
				b.WriteRune('\uFFFD')
			}
		}
	}
	return b.String()
}

// writeSVG draws rows as an SVG image.
func writeSVG(w io.Writer, s *session, rows []row) error {
	var b strings.Builder
	height := svgTop + svgRow*(len(rows)+1) + 10
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="monospace" font-size="12">
`, svgWidth, height, svgWidth, height)
	b.WriteString("<defs>\n")
	for _, l := range []string{"transport", "kex", "userauth", "connection", "other"} {
		fmt.Fprintf(&b, `<marker id="h-%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>
`, l, layerColors[l])
	}
	b.WriteString("</defs>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>
<text x="10" y="20" font-weight="bold">%s</text>
<text x="10" y="%d">time</text><text x="90" y="%d">layer</text>
<text x="%d" y="%d" text-anchor="middle" font-weight="bold">client</text>
<text x="%d" y="%d" text-anchor="middle" font-weight="bold">server</text>
`, svgWidth, height, esc(header(s, rows)), svgTop-20, svgTop-20, svgClientX, svgTop-20, svgServerX, svgTop-20)
	bottom := svgTop + svgRow*len(rows) + 5
	for i, r := range rows {
		y := svgTop + svgRow*i
		if r.band == "" {
			continue
		}
		// A band runs to the next band.
		end := len(rows)
		for j := i + 1; j < len(rows); j++ {
			if rows[j].band != "" {
				end = j
				break
			}
		}
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" fill="%s"/>
<text x="10" y="%d" font-weight="bold">%s</text>
`, y, svgWidth, svgRow*(end-i), bandColor(r.band), y+15, esc(r.band))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black" stroke-width="2"/>
<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black" stroke-width="2"/>
`, svgClientX, svgTop-12, svgClientX, bottom, svgServerX, svgTop-12, svgServerX, bottom)
	for i, r := range rows {
		if r.band != "" {
			continue
		}
		y := svgTop + svgRow*i + 16
		color, ok := layerColors[r.arrow.layer]
		if !ok {
			color, r.arrow.layer = layerColors["other"], "other"
		}
		x1, x2 := svgClientX, svgServerX
		if r.arrow.from == server {
			x1, x2 = x2, x1
		}
		dash, start := "", ""
		if r.count > 1 {
			dash = ` stroke-dasharray="6,3"`
		}
		if r.mark == "fold" {
			start = fmt.Sprintf(` marker-start="url(#h-%s)"`, r.arrow.layer)
		}
		fmt.Fprintf(&b, `<text x="10" y="%d">%s</text><text x="90" y="%d" fill="%s">%s</text>
<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5"%s marker-end="url(#h-%s)"%s/>
<text x="%d" y="%d" text-anchor="middle" fill="%s">%s</text>
`, y, esc(ms(r)), y, color, esc(r.arrow.layer), x1, y, x2, y, color, dash, r.arrow.layer, start,
			(svgClientX+svgServerX)/2, y-4, color, esc(r.label()))
		if extra := strings.TrimSpace(strings.Join([]string{markText(r.mark), r.detail(), note(s, r)}, " ")); extra != "" {
			fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", svgServerX+10, y, esc(extra))
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
