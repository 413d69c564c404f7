package harvest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// CursorDir is the folder, inside the data folder, that holds one cursor
// file per source: sync/hf-daily.json, sync/arxiv_cs.json…
const CursorDir = "sync"

// Cursor is where a source stands. It is saved after each page whose papers
// are stored, never before, so it only moves past stored papers.
type Cursor struct {
	// Source names the source and its argument: "hf-daily", "arxiv cs".
	Source string `json:"source"`
	// Done is the last day (hf-daily) or OAI-PMH datestamp (arXiv),
	// YYYY-MM-DD, fully harvested. The next sync starts after it (hf-daily)
	// or on it (arXiv, whose records of that day may still be growing).
	Done string `json:"done,omitempty"`
	// From, Token and Latest describe an arXiv harvest in progress: the date
	// it started from, the resumption token of its next page, and the latest
	// datestamp among the records it stored so far. Token is empty between
	// harvests.
	From   string `json:"from,omitempty"`
	Token  string `json:"token,omitempty"`
	Latest string `json:"latest,omitempty"`
	// Saved is when the cursor was last saved.
	Saved time.Time `json:"saved"`
}

// unsafeKey matches the characters a cursor file name does not keep.
var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// cursorPath is the file of the cursor key in the data folder dir.
func cursorPath(dir, key string) string {
	return filepath.Join(dir, CursorDir, unsafeKey.ReplaceAllString(key, "_")+".json")
}

// LoadCursor reads the cursor key ("hf-daily", "arxiv cs") of the data
// folder dir. A cursor never saved is the zero Cursor.
func LoadCursor(dir, key string) (Cursor, error) {
	path := cursorPath(dir, key)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("cannot read the %s cursor: %w", key, err)
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return Cursor{}, fmt.Errorf("the %s cursor %s is damaged (%v): remove it and run sync with --from YYYY-MM-DD", key, path, err)
	}
	return c, nil
}

// SaveCursor replaces the cursor key of the data folder dir. It writes a
// temporary file, syncs it and renames it into place, then syncs the
// folder: a crash leaves the old cursor or the new one, never a torn one.
func SaveCursor(dir, key string, c Cursor) error {
	path := cursorPath(dir, key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cannot save the %s cursor: %w", key, err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	err = writeSynced(tmp, append(b, '\n'))
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot save the %s cursor in %s: %w", key, path, err)
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
