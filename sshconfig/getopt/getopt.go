// Package getopt walks a command line as getopt(3) does for OpenSSH's
// commands, which gossh's companions and gosshd copy: single-letter
// flags that may be grouped (-rp), an argument glued on (-P22) or in the
// next word (-P 22), and "--" or the first word not starting with '-'
// ending the flags.
package getopt

import "strings"

// Parse calls set for each flag of args in order, with its argument when
// withArg lists the letter, and returns the operands after the flags.
// known lists the letters without an argument; an empty known lets set
// judge every letter. A letter in neither list, or a flag whose argument
// is missing, is reported in getopt's words ("unknown option -- x",
// "option requires an argument -- x") through bad, whose error Parse
// returns; so is the first error set returns.
func Parse(args []string, known, withArg string, set func(c byte, val string) error, bad func(msg string) error) ([]string, error) {
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			takesArg := strings.IndexByte(withArg, c) >= 0
			if known != "" && !takesArg && strings.IndexByte(known, c) < 0 {
				return nil, bad("unknown option -- " + string(c))
			}
			var val string
			if takesArg {
				switch {
				case j+1 < len(a):
					val = a[j+1:]
				case i+1 < len(args):
					i++
					val = args[i]
				default:
					return nil, bad("option requires an argument -- " + string(c))
				}
				j = len(a)
			}
			if err := set(c, val); err != nil {
				return nil, err
			}
		}
	}
	return args[i:], nil
}
