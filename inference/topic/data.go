package topic

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Example is one labeled text.
type Example struct {
	Text  string `json:"text"`
	Label string `json:"label"`
	// Source says where the example came from ("file:line"), for error
	// messages and audits. It plays no part in training.
	Source string `json:"source,omitempty"`
	// Key identifies the example for deduplication: examples with equal
	// keys are the same article. Empty means DedupKey(Text).
	Key string `json:"-"`
}

// AGNewsLabels are the AG News classes, in the order of their 1-based ids.
var AGNewsLabels = []string{"World", "Sports", "Business", "Sci/Tech"}

// The files LoadAGNews reads.
const (
	AGNoisyFile = "train_subset_noisyag_10k.csv"
	AGJointFile = "train_subset_jointmatch_8k.csv"
	AGFirstFile = "train_first581.csv"
)

// LoadExamples reads labeled texts from a CSV file with a header row, or
// from a JSON Lines file (".jsonl" or ".ndjson"), taking the text and the
// label from the named columns or fields. Texts are normalised (see
// Normalize); rows whose text or label is empty are an error. Exact
// duplicates are kept: see Dedupe.
func LoadExamples(path, textCol, labelCol string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	defer f.Close()
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".jsonl" || ext == ".ndjson" {
		return readJSONL(f, path, textCol, labelCol)
	}
	return readCSV(f, path, textCol, labelCol)
}

func readCSV(r io.Reader, name, textCol, labelCol string) ([]Example, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("topic: %s: read header: %w", name, err)
	}
	col := func(want string) (int, error) {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), want) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("topic: %s: no column %q (columns: %s)", name, want, strings.Join(header, ", "))
	}
	ti, err := col(textCol)
	if err != nil {
		return nil, err
	}
	li, err := col(labelCol)
	if err != nil {
		return nil, err
	}
	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("topic: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		src := fmt.Sprintf("%s:%d", filepath.Base(name), line)
		if ti >= len(rec) || li >= len(rec) {
			return nil, fmt.Errorf("topic: %s: %d fields, want at least %d", src, len(rec), max(ti, li)+1)
		}
		ex, err := newExample(rec[ti], rec[li], src)
		if err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("topic: %s: no examples", name)
	}
	return out, nil
}

func readJSONL(r io.Reader, name, textField, labelField string) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	var out []Example
	for line := 1; sc.Scan(); line++ {
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		src := fmt.Sprintf("%s:%d", filepath.Base(name), line)
		var obj map[string]any
		if err := json.Unmarshal([]byte(raw), &obj); err != nil {
			return nil, fmt.Errorf("topic: %s: %w", src, err)
		}
		text, err := jsonString(obj, textField)
		if err != nil {
			return nil, fmt.Errorf("topic: %s: %w", src, err)
		}
		label, err := jsonString(obj, labelField)
		if err != nil {
			return nil, fmt.Errorf("topic: %s: %w", src, err)
		}
		ex, err := newExample(text, label, src)
		if err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("topic: %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("topic: %s: no examples", name)
	}
	return out, nil
}

// jsonString reads a string or number field.
func jsonString(obj map[string]any, field string) (string, error) {
	v, ok := obj[field]
	if !ok {
		return "", fmt.Errorf("no field %q", field)
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("field %q is %T, want a string or a number", field, v)
}

func newExample(text, label, src string) (Example, error) {
	text, label = Normalize(text), strings.TrimSpace(label)
	if text == "" {
		return Example{}, fmt.Errorf("topic: %s: empty text", src)
	}
	if label == "" {
		return Example{}, fmt.Errorf("topic: %s: empty label", src)
	}
	return Example{Text: text, Label: label, Source: src}, nil
}

// DedupKey is the identity of a text for deduplication: its normalised
// form, lower-cased, letters and digits only.
func DedupKey(text string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(Normalize(text)) {
		if isWordRune(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}

// DedupStats counts what Dedupe removed.
type DedupStats struct {
	In         int `json:"in"`
	Out        int `json:"out"`
	Duplicates int `json:"duplicates"`
	// Conflicts counts articles seen with different labels; all their
	// copies are dropped.
	Conflicts int `json:"conflicts"`
}

// Dedupe keeps one example per key (Example.Key, or DedupKey of the text),
// preferring the longest text (a title and description over the
// description alone), and drops articles labeled inconsistently.
// The result keeps the order of first appearance.
func Dedupe(exs []Example) ([]Example, DedupStats) {
	type group struct {
		best     int
		labels   map[string]bool
		firstIdx int
	}
	groups := map[string]*group{}
	var order []string
	for i, ex := range exs {
		k := ex.Key
		if k == "" {
			k = DedupKey(ex.Text)
		}
		g, ok := groups[k]
		if !ok {
			g = &group{best: i, labels: map[string]bool{}, firstIdx: i}
			groups[k] = g
			order = append(order, k)
		} else if len(ex.Text) > len(exs[g.best].Text) {
			g.best = i
		}
		g.labels[ex.Label] = true
	}
	st := DedupStats{In: len(exs)}
	out := make([]Example, 0, len(groups))
	for _, k := range order {
		g := groups[k]
		if len(g.labels) > 1 {
			st.Conflicts++
			continue
		}
		ex := exs[g.best]
		ex.Key = k
		out = append(out, ex)
	}
	st.Out = len(out)
	st.Duplicates = st.In - st.Out
	return out, st
}

// LoadAGNews reads the three AG News subsets of dir (see the shared data
// README), labels them with AGNewsLabels and deduplicates them on the
// description, keeping the copy that has the title.
func LoadAGNews(dir string) ([]Example, DedupStats, error) {
	var all []Example
	add := func(title, desc, label, src string) error {
		id, err := strconv.Atoi(strings.TrimSpace(label))
		if err != nil || id < 1 || id > len(AGNewsLabels) {
			return fmt.Errorf("topic: %s: bad label %q", src, label)
		}
		text := ArticleText(title, desc)
		if text == "" {
			return fmt.Errorf("topic: %s: empty text", src)
		}
		all = append(all, Example{Text: text, Label: AGNewsLabels[id-1], Source: src, Key: DedupKey(desc)})
		return nil
	}
	// noisyag: label,gt,text,group with text = title + " . " + description; gt is 0-based.
	if err := eachCSV(filepath.Join(dir, AGNoisyFile), true, func(rec []string, src string) error {
		if len(rec) < 3 {
			return fmt.Errorf("topic: %s: %d fields", src, len(rec))
		}
		gt, err := strconv.Atoi(strings.TrimSpace(rec[1]))
		if err != nil {
			return fmt.Errorf("topic: %s: bad gt %q", src, rec[1])
		}
		title, desc, ok := strings.Cut(rec[2], " . ")
		if !ok {
			title, desc = "", rec[2]
		}
		return add(title, desc, strconv.Itoa(gt+1), src)
	}); err != nil {
		return nil, DedupStats{}, err
	}
	// first581: class,title,description without a header.
	if err := eachCSV(filepath.Join(dir, AGFirstFile), false, func(rec []string, src string) error {
		if len(rec) < 3 {
			return fmt.Errorf("topic: %s: %d fields", src, len(rec))
		}
		return add(rec[1], rec[2], rec[0], src)
	}); err != nil {
		return nil, DedupStats{}, err
	}
	// jointmatch: label,content (description only), label 1..4.
	if err := eachCSV(filepath.Join(dir, AGJointFile), true, func(rec []string, src string) error {
		if len(rec) < 2 {
			return fmt.Errorf("topic: %s: %d fields", src, len(rec))
		}
		return add("", rec[1], rec[0], src)
	}); err != nil {
		return nil, DedupStats{}, err
	}
	out, st := Dedupe(all)
	return out, st, nil
}

func eachCSV(path string, header bool, fn func(rec []string, src string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("topic: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	cr.FieldsPerRecord = -1
	base := filepath.Base(path)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("topic: %s: %w", base, err)
		}
		if first && header {
			continue
		}
		line, _ := cr.FieldPos(0)
		if err := fn(rec, fmt.Sprintf("%s:%d", base, line)); err != nil {
			return err
		}
	}
}

// Labels returns the distinct labels of exs, sorted.
func Labels(exs []Example) []string {
	seen := map[string]bool{}
	var out []string
	for _, ex := range exs {
		if !seen[ex.Label] {
			seen[ex.Label] = true
			out = append(out, ex.Label)
		}
	}
	slices.Sort(out)
	return out
}

// StratifiedSplit puts a fraction of each label's examples, chosen at
// random with the seed, into dev and the rest into train. Every label with
// at least two examples gets at least one dev example. Both parts keep the
// input order.
func StratifiedSplit(exs []Example, devFraction float64, seed uint64) (train, dev []Example) {
	byLabel := map[string][]int{}
	for i, ex := range exs {
		byLabel[ex.Label] = append(byLabel[ex.Label], i)
	}
	isDev := make([]bool, len(exs))
	for _, label := range Labels(exs) {
		idx := byLabel[label]
		n := int(float64(len(idx))*devFraction + 0.5)
		if n == 0 && len(idx) >= 2 && devFraction > 0 {
			n = 1
		}
		if n >= len(idx) {
			n = len(idx) - 1
		}
		rng := rand.New(rand.NewPCG(seed, hashString(label)))
		perm := rng.Perm(len(idx))
		for _, p := range perm[:max(n, 0)] {
			isDev[idx[p]] = true
		}
	}
	for i, ex := range exs {
		if isDev[i] {
			dev = append(dev, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, dev
}

// DataHash is the SHA-256 of the examples' labels and texts in order: it
// names the data a model was trained on.
func DataHash(exs []Example) string {
	h := sha256.New()
	for _, ex := range exs {
		fmt.Fprintf(h, "%d:%s\x00%d:%s\n", len(ex.Label), ex.Label, len(ex.Text), ex.Text)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func hashString(s string) uint64 {
	// FNV-1a, 64 bits.
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// labelCounts counts examples per label.
func labelCounts(exs []Example) map[string]int {
	m := map[string]int{}
	for _, ex := range exs {
		m[ex.Label]++
	}
	return m
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
