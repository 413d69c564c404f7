package loader

import (
	"reflect"
	"strings"
	"testing"
)

func TestLoadReadsDailyPapersPages(t *testing.T) {
	entry := func(title, meta string) string {
		return title + "\n\nAbstract of " + title + ".\n\n" + meta + "\n\n"
	}
	tests := []struct {
		name      string
		page      string
		wantIDs   []string
		wantDates []string
	}{
		{
			name:      "page chrome before the first paper is ignored",
			page:      "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\nNov 24\n\n" + entry("First", "  • 4 authors\n·\nDec 8, 2022"),
			wantIDs:   []string{"hf-first"},
			wantDates: []string{"2022-12-08"},
		},
		{
			name:      "dates without a year take the year after the latest one written",
			page:      entry("A", "·\nSep 26 4") + entry("B", "  • 2 authors\n·\nJan 11, 2024 4") + entry("C", "·\nAug 9 2") + entry("D", "·\nMar 3, 2021"),
			wantIDs:   []string{"hf-a", "hf-b", "hf-c", "hf-d"},
			wantDates: []string{"2025-09-26", "2024-01-11", "2025-08-09", "2021-03-03"},
		},
		{
			name:      "an organisation line instead of an author count still closes a paper",
			page:      entry("A", "kaist-ai KAIST AI\n·\nSep 26, 2023"),
			wantIDs:   []string{"hf-a"},
			wantDates: []string{"2023-09-26"},
		},
		{
			name:      "a date cut off from its metadata by a blank line is found",
			page:      entry("A", "  • 3 authors\n·\n\nMay 1, 2023") + entry("B", "·\nMay 2, 2023"),
			wantIDs:   []string{"hf-a", "hf-b"},
			wantDates: []string{"2023-05-01", "2023-05-02"},
		},
		{
			name:      "a paper without a date has no published date",
			page:      entry("A", "  • 3 authors"),
			wantIDs:   []string{"hf-a"},
			wantDates: []string{""},
		},
		{
			name:      "chrome between papers and after the last is ignored",
			page:      entry("A", "·\nMay 1, 2023") + "Nov 23\n\n" + entry("B", "·\nMay 2, 2023") + "Load more\n\n© Hugging Face\n",
			wantIDs:   []string{"hf-a", "hf-b"},
			wantDates: []string{"2023-05-01", "2023-05-02"},
		},
		{
			name:      "wrapped lines and Windows line endings are joined",
			page:      strings.ReplaceAll("A long\ntitle\n\nAn abstract\nwrapped.\n\n·\nJun 7, 2023\n", "\n", "\r\n"),
			wantIDs:   []string{"hf-a-long-title"},
			wantDates: []string{"2023-06-07"},
		},
		{
			name:      "a title with no ASCII letters gets a hashed id",
			page:      entry("深度学习", "·\nJun 7, 2023"),
			wantIDs:   []string{"hf-9bea2bda7ac5"},
			wantDates: []string{"2023-06-07"},
		},
		{
			name:      "a long title is cut to whole words",
			page:      entry(strings.Repeat("abcdefghi ", 12), "·\nJun 7, 2023"),
			wantIDs:   []string{"hf-" + strings.TrimSuffix(strings.Repeat("abcdefghi-", 8), "-")},
			wantDates: []string{"2023-06-07"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rep, err := load(t, tt.page, Options{Format: HFPage, Strict: true})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			dates := []string{}
			for _, p := range got {
				dates = append(dates, p.Published)
			}
			if !reflect.DeepEqual(ids(got), tt.wantIDs) || !reflect.DeepEqual(dates, tt.wantDates) {
				t.Errorf("got ids %q dates %q, want %q %q (skipped %v)", ids(got), dates, tt.wantIDs, tt.wantDates, rep.Skipped)
			}
		})
	}
}
