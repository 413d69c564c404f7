package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the file in a data folder that the process using the folder
// holds an exclusive flock(2) on, and into which it writes its pid and
// command, so a second process can say who holds the folder.
const LockFile = "LOCK"

// ErrLocked is returned by Open when another process is using the folder.
var ErrLocked = errors.New("data folder is in use")

// folderLock is the held lock on a data folder; the kernel drops it when the
// process dies, so a crash never leaves a folder locked.
type folderLock struct{ f *os.File }

// lockFolder takes the lock on dir without waiting. It fails with ErrLocked,
// naming the holder when known, if another process (or another open Store of
// this process) holds it.
func lockFolder(dir string) (*folderLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: cannot open the lock file %q: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, lockedError(dir, holder)
		}
		return nil, fmt.Errorf("store: cannot lock the data folder %q: %w", dir, err)
	}
	// Who holds it is advice for the message above, so failing to write it
	// is not an error.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holderLine()), 0)
	}
	return &folderLock{f: f}, nil
}

// release drops the lock. The pid is left in the file: it is only read while
// the lock is held by someone.
func (l *folderLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	return err
}

// holderLine is what the lock file says about this process: its pid and
// command ("1234 paperlens serve").
func holderLine() string {
	cmd := []string{filepath.Base(os.Args[0])}
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd = append(cmd, os.Args[1])
	}
	return strconv.Itoa(os.Getpid()) + " " + strings.Join(cmd, " ") + "\n"
}

func readHolder(f *os.File) string {
	b := make([]byte, 256)
	n, _ := f.ReadAt(b, 0)
	pid, cmd, ok := strings.Cut(strings.TrimSpace(string(b[:n])), " ")
	if _, err := strconv.Atoi(pid); !ok || err != nil || cmd == "" {
		return ""
	}
	return fmt.Sprintf("%s (pid %s)", cmd, pid)
}

func lockedError(dir, holder string) error {
	if holder == "" {
		holder = "another process"
	}
	return fmt.Errorf("%w: %q is in use by %s: stop it, or send papers to its HTTP API "+
		"if it is 'paperlens serve' (or use another --data folder)", ErrLocked, dir, holder)
}
