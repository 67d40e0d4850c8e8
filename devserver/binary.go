package devserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"hibobsync/checkout"
)

// binaryRel is where `make temporal` installs the pinned Temporal CLI (v1.5.1), relative to the
// module root. It is built from the Go module proxy rather than downloaded, because
// testsuite.StartDevServer's own download reaches the internet, which these machines cannot.
const binaryRel = "bin/temporal"

// installHint ends every "no CLI" error.
const installHint = "run `make temporal` in the project (it builds the pinned CLI into bin/, about 3 minutes the first time)"

// ErrNoBinary means the pinned Temporal CLI is not installed.
var ErrNoBinary = errors.New("the Temporal CLI is not installed")

// Binary is the path of the project's pinned Temporal CLI: bin/temporal under the module root,
// found by walking up from the working directory to go.mod (tests run in their package's
// folder, `go run` and make in the root).
func Binary() (string, error) {
	root, err := checkout.Root()
	if err != nil {
		return "", fmt.Errorf("devserver: %w: %s", err, installHint)
	}
	path := filepath.Join(root, binaryRel)
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("devserver: %w: %s is missing; %s", ErrNoBinary, path, installHint)
	case err != nil:
		return "", fmt.Errorf("devserver: %w: %v; %s", ErrNoBinary, err, installHint)
	case !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("devserver: %w: %s is not an executable file; %s", ErrNoBinary, path, installHint)
	}
	return path, nil
}
