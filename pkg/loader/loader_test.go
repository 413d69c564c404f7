package loader

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
)

// load runs Load on input and collects what it emits.
func load(t *testing.T, input string, opts Options) ([]paper.Paper, Report, error) {
	t.Helper()
	var got []paper.Paper
	rep, err := Load(strings.NewReader(input), opts, func(p paper.Paper) error {
		got = append(got, p)
		return nil
	})
	if rep.Read != len(got) {
		t.Errorf("Report.Read = %d, but emit was called %d times", rep.Read, len(got))
	}
	return got, rep, err
}

func ids(ps []paper.Paper) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Format
		wantErr string
	}{
		{"an empty flag means auto", "", Auto, ""},
		{"auto means auto", "auto", Auto, ""},
		{"each format parses by its name", "hfpage", HFPage, ""},
		{"case and space are ignored", " JSONL ", JSONL, ""},
		{"an unknown name lists the valid ones", "xml", Auto, "use one of auto, jsonl, beir, hf, hfpage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFormat(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFormat(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLoadDetectsTheFormat(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  Format
	}{
		{"an object with id is JSON Lines", `{"id":"a","abstract":"x"}` + "\n", JSONL},
		{"an object with _id is BEIR", `{"_id":"a","title":"t","text":"x","metadata":{}}` + "\n", BEIR},
		{"an object with _id nested only is JSON Lines", `{"id":"a","abstract":"x","extra":{"_id":"b"}}`, JSONL},
		{"an array is Daily Papers JSON", "  \n[{\"paper\":{\"id\":\"a\",\"summary\":\"x\"}}]", HF},
		{"a pretty-printed entry object is Daily Papers JSON", "{\n  \"paper\": {\"id\": \"a\", \"summary\": \"x\"}\n}\n", HF},
		{"text is a Daily Papers page", "Daily Papers\n\nTitle\n\nAbstract.\n\n·\nDec 8, 2022\n", HFPage},
		{"a byte order mark is looked past", "\xef\xbb\xbf{\"_id\":\"a\",\"text\":\"x\"}\n", BEIR},
		{"an empty input reads as JSON Lines", "", JSONL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rep, err := load(t, tt.input, Options{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if rep.Format != tt.want {
				t.Errorf("detected %q, want %q", rep.Format, tt.want)
			}
			if len(rep.Skipped) > 0 {
				t.Errorf("skipped %v, want nothing", rep.Skipped)
			}
		})
	}
}

func TestLoadMapsFieldsToPapers(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		input  string
		want   paper.Paper
	}{
		{
			name:   "JSON Lines takes date as the published date and fills the arXiv URL",
			format: JSONL,
			input:  `{"id":"2509.03687v2","title":" A  title ","authors":["A B","C D"],"abstract":"Text.","categories":["cs.CE"],"date":"2026-04-01","unknown":1}`,
			want:   paper.Paper{ID: "2509.03687", Title: "A title", Abstract: "Text.", Authors: []string{"A B", "C D"}, Published: "2026-04-01", Categories: []string{"cs.CE"}, URL: "https://arxiv.org/abs/2509.03687"},
		},
		{
			name:   "JSON Lines reads our own output with published and url",
			format: JSONL,
			input:  `{"id":"x1","title":"T","abstract":"Text.","authors":[],"published":"2024-01-02","categories":[],"url":"https://example.org/x1"}`,
			want:   paper.Paper{ID: "x1", Title: "T", Abstract: "Text.", Authors: []string{}, Published: "2024-01-02", Categories: []string{}, URL: "https://example.org/x1"},
		},
		{
			name:   "JSON Lines accepts authors as one comma-separated string",
			format: JSONL,
			input:  `{"id":"x1","abstract":"Text.","authors":"Ada Lovelace, Alan Turing and Grace Hopper","categories":"cs.CL cs.AI"}`,
			want:   paper.Paper{ID: "x1", Abstract: "Text.", Authors: []string{"Ada Lovelace", "Alan Turing", "Grace Hopper"}, Categories: []string{"cs.CL", "cs.AI"}},
		},
		{
			name:   "JSON Lines keeps a numeric id as written",
			format: JSONL,
			input:  `{"id":2509.03680,"abstract":"Text."}`,
			want:   paper.Paper{ID: "2509.03680", Abstract: "Text.", Authors: []string{}, Categories: []string{}, URL: "https://arxiv.org/abs/2509.03680"},
		},
		{
			name:   "BEIR takes _id as the id and text as the abstract",
			format: BEIR,
			input:  `{"_id":"4983","title":"T.","text":"Text.","metadata":{"x":1}}`,
			want:   paper.Paper{ID: "4983", Title: "T.", Abstract: "Text.", Authors: []string{}, Categories: []string{}},
		},
		{
			name:   "Daily Papers JSON takes the paper and its author names",
			format: HF,
			input:  `[{"paper":{"id":"2602.23229","title":"T","summary":"S.","authors":[{"_id":"1","name":"A B"}],"publishedAt":"2026-02-26T17:08:18.000Z"}}]`,
			want:   paper.Paper{ID: "2602.23229", Title: "T", Abstract: "S.", Authors: []string{"A B"}, Published: "2026-02-26", Categories: []string{}, URL: "https://arxiv.org/abs/2602.23229"},
		},
		{
			name:   "Daily Papers JSON falls back to the entry's own title, summary and date",
			format: HF,
			input:  `{"paper":{"id":"2602.23229"},"title":"T","summary":"S.","publishedAt":"2026-02-26T12:08:18.000Z"}`,
			want:   paper.Paper{ID: "2602.23229", Title: "T", Abstract: "S.", Authors: []string{}, Published: "2026-02-26", Categories: []string{}, URL: "https://arxiv.org/abs/2602.23229"},
		},
		{
			name:   "a page paper gets an id from its title and the date from its metadata",
			format: HFPage,
			input:  "Meta-DT: Offline Meta-RL!\n\nAn abstract.\n\n  • 5 authors\nSome Lab\n·\nOct 15, 2024\n",
			want:   paper.Paper{ID: "hf-meta-dt-offline-meta-rl", Title: "Meta-DT: Offline Meta-RL!", Abstract: "An abstract.", Authors: []string{}, Published: "2024-10-15", Categories: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rep, err := load(t, tt.input, Options{Format: tt.format, Strict: true})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(got) != 1 || rep.Read != 1 {
				t.Fatalf("got %d papers, want 1", len(got))
			}
			if !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("got  %#v\nwant %#v", got[0], tt.want)
			}
		})
	}
}

// skip is a record a test expects to be skipped.
type skip struct {
	line int
	id   string
	msg  string
}

func TestLoadSkipsBrokenRecords(t *testing.T) {
	ok := func(id string) string { return `{"id":"` + id + `","abstract":"Text."}` }
	tests := []struct {
		name    string
		format  Format
		input   string
		wantIDs []string
		want    []skip
	}{
		{
			name:    "a truncated JSON line is skipped",
			format:  JSONL,
			input:   ok("a") + "\n" + `{"id":"b","abstract":"Te` + "\n" + ok("c") + "\n",
			wantIDs: []string{"a", "c"},
			want:    []skip{{2, "b", "is the record truncated?"}},
		},
		{
			name:    "a truncated last line without a newline is skipped",
			format:  JSONL,
			input:   ok("a") + "\n" + `{"id":"b","abstract":"Te`,
			wantIDs: []string{"a"},
			want:    []skip{{2, "b", "truncated"}},
		},
		{
			name:    "a paper without an abstract is skipped",
			format:  JSONL,
			input:   ok("a") + "\n" + `{"id":"b","title":"T"}` + "\n",
			wantIDs: []string{"a"},
			want:    []skip{{2, "b", "has no abstract"}},
		},
		{
			name:    "a paper without an id is skipped",
			format:  JSONL,
			input:   `{"title":"T","abstract":"Text."}` + "\n" + ok("a"),
			wantIDs: []string{"a"},
			want:    []skip{{1, "", "missing id"}},
		},
		{
			name:    "a later duplicate id is skipped and the first wins",
			format:  JSONL,
			input:   ok("2509.03687") + "\n\n" + ok("b") + "\n" + ok("2509.03687v2") + "\n",
			wantIDs: []string{"2509.03687", "b"},
			want:    []skip{{4, "2509.03687", "duplicate id 2509.03687 (first on line 1)"}},
		},
		{
			name:    "invalid UTF-8 is skipped",
			format:  JSONL,
			input:   `{"id":"a","abstract":"caf` + "\xe9" + `"}` + "\n" + ok("b") + "\n",
			wantIDs: []string{"b"},
			want:    []skip{{1, "a", "invalid UTF-8 at byte 25"}},
		},
		{
			name:   "papers over the caps or with a script for a URL are skipped",
			format: JSONL,
			input: `{"id":"a","abstract":"Text.","url":"javascript:alert(1)"}` + "\n" + `{"id":"b","abstract":"` + strings.Repeat("x", paper.MaxAbstractLength+1) + `"}` + "\n" +
				`{"id":"c","abstract":"Text.","authors":["` + strings.Repeat("n", paper.MaxAuthorLength+1) + `"]}` + "\n" + `{"id":"..","abstract":"Text."}` + "\n" + ok("e"),
			wantIDs: []string{"e"},
			want:    []skip{{1, "a", "not an http or https URL"}, {2, "b", "the abstract is 65537 bytes"}, {3, "c", "an author's name is 201 bytes"}, {4, "..", "path segment"}},
		},
		{
			name:    "a bad date is skipped",
			format:  JSONL,
			input:   `{"id":"a","abstract":"Text.","date":"yesterday"}`,
			wantIDs: []string{},
			want:    []skip{{1, "a", "is not a YYYY-MM-DD date"}},
		},
		{
			name:    "a field of the wrong type is skipped",
			format:  JSONL,
			input:   `{"id":"a","abstract":"Text.","title":["T"]}` + "\n" + `[1,2]` + "\n" + `{"id":"b","abstract":"Text.","authors":7}`,
			wantIDs: []string{},
			want:    []skip{{1, "a", `field "title" is a JSON array, want a string`}, {2, "", "record is a JSON array, want an object"}, {3, "b", "authors must be a list of strings"}},
		},
		{
			name:    "a line longer than 16 MiB is skipped",
			format:  JSONL,
			input:   `{"id":"long","abstract":"` + strings.Repeat("x", 16<<20) + `"}` + "\r\n" + ok("b") + "\r\n",
			wantIDs: []string{"b"},
			want:    []skip{{1, "", "line longer than 16 MiB"}},
		},
		{
			name:    "a BEIR line read as JSON Lines says to use beir",
			format:  JSONL,
			input:   `{"_id":"a","text":"Text."}`,
			wantIDs: []string{},
			want:    []skip{{1, "", "use format beir"}},
		},
		{
			name:    "a BEIR line without text is skipped",
			format:  BEIR,
			input:   `{"_id":"a","title":"T","text":""}` + "\n" + `{"_id":"b","text":"Text."}`,
			wantIDs: []string{"b"},
			want:    []skip{{1, "a", "has no abstract"}},
		},
		{
			name:   "a bad Daily Papers entry is reported on the line where it starts",
			format: HF,
			input: "[\n" +
				`  {"paper": {"id": "1", "summary": "S."}},` + "\n" +
				`  {"paper": 5},` + "\n" +
				"  {\n    \"paper\": {\"id\": \"3\", \"title\": \"no summary\"}\n  },\n" +
				`  {"paper": {"id": "1", "summary": "again"}},` + "\n" +
				`  {"paper": {"id": "5", "summary": "caf` + "\xe9" + `"}},` + "\n" +
				`  {"paper": {"id": "6", "summary": "S."}}` + "\n]\n",
			wantIDs: []string{"1", "6"},
			want: []skip{
				{3, "", `entry 2: field "paper" is a JSON number, want an object`},
				{4, "3", `paper "3" has no abstract`},
				{7, "1", "duplicate id 1 (first on line 2)"},
				{8, "5", "entry 5: invalid UTF-8"},
			},
		},
		{
			name:   "a page paper without an abstract is skipped",
			format: HFPage,
			input: "Daily Papers\n\nNov 24\n\nFirst\n\nAbstract one.\n\n  • 4 authors\n·\nDec 8, 2022\n\n" +
				"No abstract here\n\n  • 2 authors\n·\nDec 9, 2022\n\n" +
				"Third\n\nAbstract three.\n\n  • 1 author\n·\nDec 10, 2022\n",
			wantIDs: []string{"hf-first", "hf-third"},
			want:    []skip{{13, "hf-no-abstract-here", "has no abstract"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rep, err := load(t, tt.input, Options{Format: tt.format})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(ids(got), tt.wantIDs) {
				t.Errorf("emitted %q, want %q", ids(got), tt.wantIDs)
			}
			if len(rep.Skipped) != len(tt.want) {
				t.Fatalf("skipped %v, want %d records", rep.Skipped, len(tt.want))
			}
			for i, w := range tt.want {
				le := rep.Skipped[i]
				if le.Line != w.line || le.ID != w.id || !strings.Contains(le.Error(), w.msg) {
					t.Errorf("skipped[%d] = line %d id %q %q, want line %d id %q and %q", i, le.Line, le.ID, le.Error(), w.line, w.id, w.msg)
				}
			}
		})
	}
}

func TestLoadStrictStopsAtTheFirstBadRecord(t *testing.T) {
	tests := []struct {
		name     string
		format   Format
		input    string
		wantRead int
		wantLine int
		wantMsg  string
	}{
		{
			name:     "JSON Lines stops at a truncated line",
			format:   JSONL,
			input:    `{"id":"a","abstract":"x"}` + "\n" + `{"id":"b","abstract":"x"}` + "\n" + `{"id":"c",` + "\n" + `{"id":"d","abstract":"x"}` + "\n" + `{"id":"e"}`,
			wantRead: 2,
			wantLine: 3,
			wantMsg:  "line 3 (id c): malformed JSON at byte 10: unexpected end of JSON input (is the record truncated?)",
		},
		{
			name:     "JSON Lines stops at a duplicate id",
			format:   JSONL,
			input:    `{"id":"a","abstract":"x"}` + "\n" + `{"id":"a","abstract":"y"}` + "\n" + `{"id":"b","abstract":"x"}`,
			wantRead: 1,
			wantLine: 2,
			wantMsg:  "line 2 (id a): duplicate id a (first on line 1)",
		},
		{
			name:     "Daily Papers JSON stops at an entry without summary",
			format:   HF,
			input:    "[\n{\"paper\":{\"id\":\"a\",\"summary\":\"x\"}},\n\n{\"paper\":{\"id\":\"b\"}},\n{\"paper\":{\"id\":\"c\",\"summary\":\"x\"}}\n]",
			wantRead: 1,
			wantLine: 4,
			wantMsg:  `line 4 (id b): entry 2: invalid paper: paper "b" has no abstract`,
		},
		{
			name:     "a page stops at a bad date",
			format:   HFPage,
			input:    "A\n\nAbstract.\n\n·\nFeb 3, 2024\n\nB\n\nAbstract.\n\n·\nFeb 30, 2024\n\nC\n\nAbstract.\n\n·\nFeb 3, 2024\n",
			wantRead: 1,
			wantLine: 8,
			wantMsg:  `line 8 (id hf-b): paper "B": date line "Feb 30, 2024" is not a date`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rep, err := load(t, tt.input, Options{Format: tt.format, Strict: true})
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("Load error = %v, want a *LineError", err)
			}
			if le.Line != tt.wantLine || err.Error() != tt.wantMsg {
				t.Errorf("Load error = %q (line %d), want %q (line %d)", err, le.Line, tt.wantMsg, tt.wantLine)
			}
			if rep.Read != tt.wantRead {
				t.Errorf("read %d papers before stopping, want %d", rep.Read, tt.wantRead)
			}
		})
	}
}

func TestLoadStopsWhereDailyPapersJSONBreaks(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		wantRead int
		wantMsg  string
	}{
		{"a truncated array is an error", "[\n{\"paper\":{\"id\":\"a\",\"summary\":\"x\"}},\n{\"paper\":{\"id\":\"b\",", 1, "line 3: entry 2: JSON ends early: the file is truncated"},
		{"an unclosed array is an error", "[\n{\"paper\":{\"id\":\"a\",\"summary\":\"x\"}}\n", 1, "line 3: end of array: JSON ends early"},
		{"a syntax error is an error", "[\n{\"paper\":{\"id\":\"a\",\"summary\":\"x\"}},\n{\"paper\" 5}]", 1, "line 3: entry 2: malformed JSON"},
		{"data after the array is an error", "[{\"paper\":{\"id\":\"a\",\"summary\":\"x\"}}]\n\n[]", 1, "line 3: unexpected data after the array"},
		{"a JSON string is not Daily Papers JSON", `"hello"`, 0, "want an array of entries or an entry object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rep, err := load(t, tt.input, Options{Format: HF})
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Load error = %v, want a *LineError containing %q", err, tt.wantMsg)
			}
			if rep.Read != tt.wantRead {
				t.Errorf("read %d papers, want %d", rep.Read, tt.wantRead)
			}
			if n := len(rep.Skipped); n == 0 || rep.Skipped[n-1] != le {
				t.Errorf("the error is not the last of Report.Skipped %v", rep.Skipped)
			}
		})
	}
}

func TestLoadReturnsEmitErrorsAsIs(t *testing.T) {
	stop := errors.New("stop")
	inputs := map[Format]string{
		JSONL:         `{"id":"a","abstract":"x"}` + "\n" + `{"id":"b","abstract":"x"}`,
		BEIR:          `{"_id":"a","text":"x"}` + "\n" + `{"_id":"b","text":"x"}`,
		HF:            `[{"paper":{"id":"a","summary":"x"}},{"paper":{"id":"b","summary":"x"}}]`,
		HFPage:        "A\n\nx\n\n·\nMay 1, 2023\n\nB\n\nx\n\n·\nMay 2, 2023\n",
		ArxivSnapshot: `{"id":"a","abstract":"x","versions":[]}` + "\n" + `{"id":"b","abstract":"x","versions":[]}`,
	}
	for _, f := range formats {
		t.Run(f.String()+" stops at the first emit error", func(t *testing.T) {
			calls := 0
			rep, err := Load(strings.NewReader(inputs[f]), Options{}, func(paper.Paper) error {
				calls++
				return stop
			})
			if err != stop {
				t.Errorf("Load error = %v, want the emit error itself", err)
			}
			if calls != 1 || rep.Read != 0 || rep.Format != f {
				t.Errorf("emit called %d times, Read %d, format %q; want 1, 0, %q", calls, rep.Read, rep.Format, f)
			}
		})
	}
}

func TestLoadNeverPanics(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	binary := make([]byte, 4096)
	rng.Read(binary)
	inputs := map[string]string{
		"empty":              "",
		"space":              " \n\t\r\n",
		"random bytes":       string(binary),
		"a NUL":              "\x00",
		"an open bracket":    "[",
		"an open brace":      "{",
		"a half entry":       `[{"paper":`,
		"a bare separator":   "·\n\n·\nDec 8, 2022\n",
		"null entries":       `[null, {"paper": null}, {"paper": {"id": null, "summary": null}}]`,
		"nested arrays":      strings.Repeat("[", 10000),
		"latin-1 text":       "Caf\xe9\n\nR\xe9sum\xe9.\n\n·\nMay 1, 2023\n",
		"invalid UTF-8 JSON": "{\"id\":\"\xff\",\"abstract\":\"\xfe\"}",
	}
	for name, input := range inputs {
		for _, f := range append([]Format{Auto}, formats...) {
			t.Run(name+" read as "+f.String()+" does not panic", func(t *testing.T) {
				got, rep, err := load(t, input, Options{Format: f})
				for _, p := range got {
					if err := p.Validate(); err != nil {
						t.Errorf("emitted an invalid paper: %v", err)
					}
				}
				if strings.TrimSpace(input) == "" && (err != nil || rep.Read != 0 || len(rep.Skipped) != 0) {
					t.Errorf("an empty input gave %d papers, %v skipped, error %v; want nothing", rep.Read, rep.Skipped, err)
				}
			})
		}
	}
}

func TestLoadRejectsBinaryInputWhenDetecting(t *testing.T) {
	_, _, err := load(t, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", Options{})
	if err == nil || !strings.Contains(err.Error(), "looks binary") {
		t.Fatalf("Load error = %v, want one saying the input looks binary", err)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	truncated := filepath.Join(dir, "truncated.json")
	if err := os.WriteFile(good, []byte(`{"id":"a","abstract":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, []byte(`[{"paper":{"id":"a"`), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	tests := []struct {
		name    string
		path    string
		emit    error
		wantErr string
		wantAs  bool
	}{
		{"a good file loads", good, nil, "", false},
		{"a missing file names the file", filepath.Join(dir, "missing.jsonl"), nil, "missing.jsonl", false},
		{"a truncated file names the file and the line", truncated, nil, truncated + ": line 1: entry 1: JSON ends early", true},
		{"an emit error is returned as is", good, stop, "stop", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFile(tt.path, Options{}, func(paper.Paper) error { return tt.emit })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("LoadFile: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("LoadFile error = %v, want one containing %q", err, tt.wantErr)
			case tt.emit != nil && err != tt.emit:
				t.Errorf("LoadFile error = %#v, want the emit error itself", err)
			}
			var le *LineError
			if tt.wantAs && !errors.As(err, &le) {
				t.Errorf("LoadFile error %v does not unwrap to a *LineError", err)
			}
		})
	}
}
