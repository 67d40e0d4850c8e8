// Package checkout locates the project's checkout: where bin/temporal, .data/ and go.mod live,
// for the tests, the demo and the benchmarks that run from inside it.
package checkout

import (
	"errors"
	"os"
	"path/filepath"
)

// Root is the nearest directory at or above the working directory holding go.mod (a test's
// working directory is its package's folder).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory: run from inside the project's checkout")
		}
		dir = parent
	}
}
