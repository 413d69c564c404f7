package lexical

import (
	"context"
	"slices"
	"testing"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

func TestGenreWordsAreLessTopicalThanTitleWords(t *testing.T) {
	x := memIndex(t, []paper.Paper{
		{ID: "a", Title: "Quokka habitats", Abstract: "A comprehensive survey of quokka habitats, with open challenges."},
		{ID: "b", Title: "Wombat burrows", Abstract: "We survey wombat burrows comprehensively and list the challenges."},
		{ID: "c", Title: "Quokka diets", Abstract: "Quokka diets across seasons raise challenges."},
		{ID: "d", Title: "A survey of numbats", Abstract: "Numbats eat termites."},
	})
	mem := x.mem.Load()
	for _, c := range []struct {
		word    string
		topical bool
	}{
		{"quokka", true}, // in two titles of three papers
		{"challeng", false},
		{"comprehens", false},
		{"unknownword", true},
	} {
		got := mem.topicality(c.word)
		if c.topical != (got == 1) || got <= 0 || got > 1 {
			t.Errorf("topicality of %q = %.3f, want it %s", c.word, got, map[bool]string{true: "1", false: "below 1 and above 0"}[c.topical])
		}
	}
	if a, b := mem.topicality("challeng"), mem.topicality("survei"); a >= b {
		t.Errorf("topicality of challeng %.3f, survei %.3f: want the word in no title below the word in one", a, b)
	}
}

func TestAFolderWithoutTitlesWeighsEveryWordAlike(t *testing.T) {
	x := memIndex(t, []paper.Paper{
		{ID: "a", Abstract: "A comprehensive survey of quokka habitats."},
		{ID: "b", Abstract: "Wombat burrows, surveyed."},
	})
	for _, w := range []string{"survei", "quokka", "comprehens"} {
		if got := x.mem.Load().topicality(w); got != 1 {
			t.Errorf("topicality of %q = %.3f without titles, want 1", w, got)
		}
	}
}

// TestASurveysSimilarPapersShareItsTopic is the case that motivated
// topicality (docs/quality.md): among the 20,426 arXiv papers, the words of
// the survey "Efficient Video Diffusion Models: Advancements and
// Challenges" once found other surveys, one on pinching-antenna wireless
// systems, by "survey", "challenges" and "comprehensive". Of those only
// "challenges" is a genre word by titles ("comprehensive" is in titles as
// often as the average word, "survey" more often), yet lowering it,
// "advancements" and "recent" is enough.
func TestASurveysSimilarPapersShareItsTopic(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses 20,426 papers")
	}
	papers := LoadPapers(t, arxivSample, -1, loader.Options{})
	x := memIndex(t, papers)
	const survey = "2604.15911"
	i := slices.IndexFunc(papers, func(p paper.Paper) bool { return p.ID == survey })
	if i < 0 {
		t.Fatalf("the arXiv sample lacks %s", survey)
	}
	hits, _, err := x.SearchLike(context.Background(), survey, papers[i].Text(), 5, paper.Filter{Exclude: []string{survey}})
	if err != nil {
		t.Fatal(err)
	}
	// Judged by hand: papers on making video diffusion cheaper or faster,
	// and surveys of video diffusion (pkg/tune/testdata/like-arxiv.json).
	onTopic := []string{"2604.04451", "2604.06339", "2604.13509", "2604.21221", "2604.22808", "2605.09681",
		"2605.17248", "2605.18739", "2605.31158", "2606.01164", "2606.06309"}
	n := 0
	for _, h := range hits {
		if slices.Contains(onTopic, h.ID) {
			n++
		}
		if h.ID == "2604.04521" {
			t.Errorf("the pinching-antenna survey is among the words' top 5: %v", ids(hits))
		}
	}
	if n < 4 {
		t.Errorf("%d of the top 5 by words are on efficient video diffusion, want at least 4: %v", n, ids(hits))
	}
	mem := x.mem.Load()
	for _, w := range []string{"challeng", "recent", "novel"} {
		if got := mem.topicality(w); got > 0.5 {
			t.Errorf("topicality of %q on arXiv = %.3f, want a genre word below 0.5", w, got)
		}
	}
	for _, w := range []string{"challeng", "advanc", "recent", "novel", "comprehens", "survei", "review", "video", "diffus"} {
		t.Logf("topicality of %q on arXiv: %.3f", w, mem.topicality(w))
	}
	for _, w := range []string{"video", "diffus"} {
		if got := mem.topicality(w); got != 1 {
			t.Errorf("topicality of %q on arXiv = %.3f, want a topic word at 1", w, got)
		}
	}
}
