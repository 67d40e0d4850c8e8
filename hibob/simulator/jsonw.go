package simulator

import (
	"hibobsync/model"
	"io"
	"strconv"
	"unicode/utf8"
)

// jsonWriter streams hand-encoded JSON in 64 KiB chunks: a full search over 100,000 employees
// must start answering at once and must not build the whole body, nor pay for reflection.
type jsonWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newJSONWriter(w io.Writer) *jsonWriter { return &jsonWriter{w: w, buf: make([]byte, 0, 80<<10)} }

func (j *jsonWriter) maybeFlush() {
	if len(j.buf) >= 64<<10 {
		j.flush()
	}
}

func (j *jsonWriter) flush() error {
	if j.err == nil && len(j.buf) > 0 {
		_, j.err = j.w.Write(j.buf)
	}
	j.buf = j.buf[:0]
	return j.err
}

func (j *jsonWriter) raw(s string)    { j.buf = append(j.buf, s...) }
func (j *jsonWriter) byte(b byte)     { j.buf = append(j.buf, b) }
func (j *jsonWriter) int(n int64)     { j.buf = strconv.AppendInt(j.buf, n, 10) }
func (j *jsonWriter) float(f float64) { j.buf = strconv.AppendFloat(j.buf, f, 'f', -1, 64) }

func (j *jsonWriter) str(s string) { j.buf = appendJSONString(j.buf, s) }

func (j *jsonWriter) key(s string) {
	j.buf = appendJSONString(j.buf, s)
	j.buf = append(j.buf, ':')
}

func (j *jsonWriter) nullableStr(s string) {
	if s == "" {
		j.raw("null")
		return
	}
	j.str(s)
}

func (j *jsonWriter) pad(n, width int) {
	for w := 10; width > 1; width-- {
		if n < w {
			j.buf = append(j.buf, '0')
		}
		w *= 10
	}
	j.buf = strconv.AppendInt(j.buf, int64(n), 10)
}

// date writes "YYYY-MM-DD", or the human-readable "DD/MM/YYYY" (§2.6).
func (j *jsonWriter) date(d model.Date, human bool) {
	j.byte('"')
	if human {
		j.pad(d.Day, 2)
		j.byte('/')
		j.pad(int(d.Month), 2)
		j.byte('/')
		j.pad(d.Year, 4)
	} else {
		j.pad(d.Year, 4)
		j.byte('-')
		j.pad(int(d.Month), 2)
		j.byte('-')
		j.pad(d.Day, 2)
	}
	j.byte('"')
}

// shortDate writes "MM-DD", or the human-readable "DD/MM".
func (j *jsonWriter) shortDate(d model.Date, human bool) {
	j.byte('"')
	if human {
		j.pad(d.Day, 2)
		j.byte('/')
		j.pad(int(d.Month), 2)
	} else {
		j.pad(int(d.Month), 2)
		j.byte('-')
		j.pad(d.Day, 2)
	}
	j.byte('"')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
