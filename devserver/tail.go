package devserver

import "sync"

// tailSize is how much of the server's output a Server keeps: enough for the errors that
// explain a failed start, bounded however long the server runs.
const tailSize = 16 << 10

// tail keeps the last tailSize bytes written to it. The CLI's output is copied in by exec's
// goroutines while Start and the tests read it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
