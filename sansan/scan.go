package sansan

import (
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// scanEnvelope finds the members of a JSON object response and the
// elements of one of its array members without decoding them. encoding/json
// is used first everywhere; this scanner serves where it cannot:
//
//   - a body it refuses as a whole (a card nested deeper than its limit of
//     10,000 levels, a card that is not JSON) although the envelope around
//     the cards is sound, so the other cards can still be decoded one by
//     one;
//   - a body over the client's size cap, which is read to its end as a
//     stream, keeping only the start of each card (to name it) and the
//     small members (hasMore, nextPageToken), so the caller can step past
//     it.
//
// It reads byte by byte from an io.ByteScanner, holds no stack (nesting is
// a counter), and keeps at most what limits allow. It checks the envelope
// (the top-level object, the array, strings and their escapes) but not the
// inside of nested values: each element is decoded, and so checked, on its
// own afterwards. Member names are matched as encoding/json matches struct
// fields: escapes decoded, case folded, the last of repeated members wins.

// scanLimits bound what scanEnvelope keeps and reads.
type scanLimits struct {
	// elemCap is how many bytes of each element of the array member are
	// kept (the rest is skipped); negative keeps them whole.
	elemCap int
	// memberCap is the longest value of another member that is kept; a
	// longer one is dropped (read, not kept). Negative keeps any.
	memberCap int
	// maxElems is the most elements the array may have.
	maxElems int
	// maxBytes is the most bytes read; 0 reads to the end.
	maxBytes int64
}

// scannedValue is a value as read: its bytes, cut when truncated.
type scannedValue struct {
	raw       []byte
	truncated bool
}

// envelopeScan is what scanEnvelope found.
type envelopeScan struct {
	// elems are the elements of the array member, in order; nil when the
	// member is absent or null.
	elems []scannedValue
	// members are the other members' values by folded name, as kept.
	members map[string]scannedValue
}

// member returns the value of the member named name (folded), if kept.
func (e *envelopeScan) member(name string) ([]byte, bool) {
	v, ok := e.members[foldName(name)]
	if !ok || v.truncated {
		return nil, false
	}
	return v.raw, true
}

var (
	errScanSyntax = errors.New("malformed json envelope")
	errScanBudget = errors.New("response longer than the scan allows")
)

type byteScanner struct {
	r   io.ByteScanner
	n   int64
	max int64
}

func (s *byteScanner) next() (byte, error) {
	c, err := s.nextOrEOF()
	if err == io.EOF {
		return 0, fmt.Errorf("%w: unexpected end", errScanSyntax)
	}
	return c, err
}

// nextOrEOF is next, with io.EOF at the end of the input.
func (s *byteScanner) nextOrEOF() (byte, error) {
	if s.max > 0 && s.n >= s.max {
		return 0, errScanBudget
	}
	c, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	s.n++
	return c, nil
}

func (s *byteScanner) unread() {
	if s.r.UnreadByte() == nil {
		s.n--
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *byteScanner) nonSpace() (byte, error) {
	for {
		c, err := s.next()
		if err != nil || !isSpace(c) {
			return c, err
		}
	}
}

func syntaxf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errScanSyntax}, args...)...)
}

// keeper appends bytes to a value up to a cap.
type keeper struct {
	buf       []byte
	cap       int
	truncated bool
}

func (k *keeper) add(c byte) {
	if k.cap >= 0 && len(k.buf) >= k.cap {
		k.truncated = true
		return
	}
	k.buf = append(k.buf, c)
}

// str reads the rest of a string whose opening quote was read.
func (s *byteScanner) str(k *keeper) error {
	for {
		c, err := s.next()
		if err != nil {
			return err
		}
		k.add(c)
		switch {
		case c == '"':
			return nil
		case c < 0x20:
			return syntaxf("control character in string")
		case c == '\\':
			e, err := s.next()
			if err != nil {
				return err
			}
			k.add(e)
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for range 4 {
					h, err := s.next()
					if err != nil {
						return err
					}
					if !isHex(h) {
						return syntaxf("bad \\u escape")
					}
					k.add(h)
				}
			default:
				return syntaxf("bad escape")
			}
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// value reads the value that starts with c into k. Nested values are
// skipped by counting brackets outside strings, whatever their depth.
func (s *byteScanner) value(c byte, k *keeper) error {
	k.add(c)
	switch c {
	case '"':
		return s.str(k)
	case '{', '[':
		depth := 1
		for depth > 0 {
			c, err := s.next()
			if err != nil {
				return err
			}
			k.add(c)
			switch c {
			case '"':
				if err := s.str(k); err != nil {
					return err
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		return nil
	case '}', ']', ',', ':':
		return syntaxf("unexpected %q", c)
	}
	// A literal or a number: up to the next delimiter, or the end of a
	// document that is nothing else.
	for {
		c, err := s.nextOrEOF()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if isSpace(c) || c == ',' || c == '}' || c == ']' {
			s.unread()
			return nil
		}
		if c == '"' || c == '{' || c == '[' || c == ':' || c < 0x20 {
			return syntaxf("unexpected %q after a literal", c)
		}
		k.add(c)
	}
}

// maxKeyBytes bounds the member names kept for matching; longer names
// cannot be any member the client reads.
const maxKeyBytes = 256

// scanEnvelope reads a JSON object from r: the elements of its member
// arrayKey ("" for none) and its other members, within lim. A top-level
// null is an empty envelope, as encoding/json takes it.
func scanEnvelope(r io.ByteScanner, arrayKey string, lim scanLimits) (*envelopeScan, error) {
	s := &byteScanner{r: r, max: lim.maxBytes}
	env := &envelopeScan{members: map[string]scannedValue{}}
	c, err := s.nonSpace()
	if err != nil {
		return nil, err
	}
	switch c {
	case 'n':
		k := keeper{cap: 8}
		if err := s.value(c, &k); err != nil {
			return nil, err
		}
		if string(k.buf) != "null" {
			return nil, syntaxf("not an object")
		}
		return env, s.end()
	case '{':
	default:
		return nil, syntaxf("not an object")
	}
	folded := foldName(arrayKey)
	c, err = s.nonSpace()
	if err != nil {
		return nil, err
	}
	if c == '}' {
		return env, s.end()
	}
	for {
		if c != '"' {
			return nil, syntaxf("expected a member name")
		}
		kk := keeper{buf: []byte{'"'}, cap: maxKeyBytes}
		if err := s.str(&kk); err != nil {
			return nil, err
		}
		name := ""
		if !kk.truncated {
			name = unquote(kk.buf)
		}
		if c, err = s.nonSpace(); err != nil {
			return nil, err
		}
		if c != ':' {
			return nil, syntaxf("expected ':'")
		}
		if c, err = s.nonSpace(); err != nil {
			return nil, err
		}
		key := foldName(name)
		if arrayKey != "" && !kk.truncated && key == folded {
			if env.elems, err = s.array(c, lim); err != nil {
				return nil, err
			}
		} else {
			k := keeper{cap: lim.memberCap}
			if err := s.value(c, &k); err != nil {
				return nil, err
			}
			if !kk.truncated {
				env.members[key] = scannedValue{raw: k.buf, truncated: k.truncated}
			}
		}
		if c, err = s.nonSpace(); err != nil {
			return nil, err
		}
		switch c {
		case ',':
			if c, err = s.nonSpace(); err != nil {
				return nil, err
			}
		case '}':
			return env, s.end()
		default:
			return nil, syntaxf("expected ',' or '}'")
		}
	}
}

// array reads the array member that starts with c (or null).
func (s *byteScanner) array(c byte, lim scanLimits) ([]scannedValue, error) {
	if c == 'n' {
		k := keeper{cap: 8}
		if err := s.value(c, &k); err != nil {
			return nil, err
		}
		if string(k.buf) != "null" {
			return nil, syntaxf("array member is not an array")
		}
		return nil, nil
	}
	if c != '[' {
		return nil, syntaxf("array member is not an array")
	}
	elems := []scannedValue{}
	c, err := s.nonSpace()
	if err != nil {
		return nil, err
	}
	if c == ']' {
		return elems, nil
	}
	for {
		if len(elems) >= lim.maxElems {
			return nil, syntaxf("more than %d elements", lim.maxElems)
		}
		k := keeper{cap: lim.elemCap}
		if err := s.value(c, &k); err != nil {
			return nil, err
		}
		elems = append(elems, scannedValue{raw: k.buf, truncated: k.truncated})
		if c, err = s.nonSpace(); err != nil {
			return nil, err
		}
		switch c {
		case ',':
			if c, err = s.nonSpace(); err != nil {
				return nil, err
			}
		case ']':
			return elems, nil
		default:
			return nil, syntaxf("expected ',' or ']'")
		}
	}
}

// end checks that only white space follows the document.
func (s *byteScanner) end() error {
	for {
		c, err := s.nextOrEOF()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !isSpace(c) {
			return syntaxf("data after the document")
		}
	}
}

// unquote decodes a JSON string with its quotes, whose escapes str has
// checked.
func unquote(q []byte) string {
	in := q[1 : len(q)-1]
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch in[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hexRune(in[i+1 : i+5])
			i += 4
			if utf16Surrogate(r) {
				// A pair decodes to one rune; anything else is U+FFFD,
				// as encoding/json does.
				if i+6 < len(in) && in[i+1] == '\\' && in[i+2] == 'u' {
					if lo := hexRune(in[i+3 : i+7]); 0xDC00 <= lo && lo < 0xE000 && r < 0xDC00 {
						out = utf8.AppendRune(out, 0x10000+(r-0xD800)<<10+(lo-0xDC00))
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, in[i])
		}
	}
	return string(out)
}

func utf16Surrogate(r rune) bool { return 0xD800 <= r && r < 0xE000 }

func hexRune(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= 'a':
			r |= rune(c - 'a' + 10)
		case c >= 'A':
			r |= rune(c - 'A' + 10)
		default:
			r |= rune(c - '0')
		}
	}
	return r
}

// foldName folds a member name the way encoding/json does when it matches
// names to struct fields case-insensitively: ASCII letters to upper case,
// other runes to the upper case of their lower case (so the Kelvin sign
// matches k and the long s matches s).
func foldName(name string) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(name[i:])
		out = utf8.AppendRune(out, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return string(out)
}
