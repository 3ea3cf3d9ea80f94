//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package filestore

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// lockDir fails: this platform has no flock, and opening a store without a
// lock would let two processes corrupt it.
func lockDir(dir string) (*os.File, error) {
	return nil, fmt.Errorf("filestore: open %s: file locking on %s: %w", dir, runtime.GOOS, errors.ErrUnsupported)
}

func unlockDir(f *os.File) error { return f.Close() }
