package topic

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BBCToAGNews maps the BBC News categories onto the AG News labels where
// the mapping is clean. Entertainment has no AG News counterpart and is
// left out; politics is UK politics, which AG News files under World.
var BBCToAGNews = map[string]string{
	"business": "Business",
	"sport":    "Sports",
	"tech":     "Sci/Tech",
	"politics": "World",
}

// BBCCheckName names the BBC check set in reports and model.json.
const BBCCheckName = "bbc"

// LoadBBCMapped reads the BBC News Summary JSON Lines file (fields id,
// category, title, article) and returns the articles whose category
// BBCToAGNews maps, labeled with the AG News label. Each text is the title
// and the first paragraph, joined as AG News joins a title and a
// description: a classifier sees a headline and a lead, not a whole
// article.
func LoadBBCMapped(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	var out []Example
	for line := 1; sc.Scan(); line++ {
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		src := fmt.Sprintf("%s:%d", filepath.Base(path), line)
		var rec struct {
			Category string `json:"category"`
			Title    string `json:"title"`
			Article  string `json:"article"`
		}
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			return nil, fmt.Errorf("topic: %s: %w", src, err)
		}
		label, ok := BBCToAGNews[strings.ToLower(strings.TrimSpace(rec.Category))]
		if !ok {
			continue
		}
		lead, _, _ := strings.Cut(strings.TrimSpace(rec.Article), "\n")
		text := ArticleText(rec.Title, lead)
		if text == "" {
			return nil, fmt.Errorf("topic: %s: empty text", src)
		}
		out = append(out, Example{Text: text, Label: label, Source: src})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("topic: %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("topic: %s: no article with a mapped category", path)
	}
	return out, nil
}
