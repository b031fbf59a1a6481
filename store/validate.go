package store

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldIssue is one thing wrong with a value, by JSON field path.
type FieldIssue struct {
	Field   string
	Message string
}

// ValidationError lists what is wrong with a value the store was asked to
// keep. Callers show it to whoever supplied the value.
type ValidationError []FieldIssue

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Limits of a taxonomy.
const (
	MaxTopics          = 50
	MaxExamples        = 20
	maxTopicName       = 100
	maxDescription     = 1000
	maxExampleLength   = 5000
	taxonomyNameFormat = "1-64 characters from a-z, 0-9, - and _"
)

var taxonomyName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// Validate checks a taxonomy before it is stored.
func (t Taxonomy) Validate() error {
	var v ValidationError
	add := func(field, format string, args ...any) {
		v = append(v, FieldIssue{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !taxonomyName.MatchString(t.Name) {
		add("name", "%q is not a taxonomy name: use %s", t.Name, taxonomyNameFormat)
	}
	switch {
	case len(t.Topics) < 2:
		add("topics", "a taxonomy needs at least 2 topics, got %d", len(t.Topics))
	case len(t.Topics) > MaxTopics:
		add("topics", "at most %d topics, got %d", MaxTopics, len(t.Topics))
	}
	seen := map[string]bool{}
	for i, topic := range t.Topics {
		field := "topics[" + strconv.Itoa(i) + "]"
		name := strings.TrimSpace(topic.Name)
		switch {
		case name == "":
			add(field+".name", "must not be empty")
		case utf8.RuneCountInString(name) > maxTopicName:
			add(field+".name", "at most %d characters", maxTopicName)
		case seen[strings.ToLower(name)]:
			add(field+".name", "%q appears twice", name)
		}
		seen[strings.ToLower(name)] = true
		if utf8.RuneCountInString(topic.Description) > maxDescription {
			add(field+".description", "at most %d characters", maxDescription)
		}
		if len(topic.Examples) > MaxExamples {
			add(field+".examples", "at most %d examples, got %d", MaxExamples, len(topic.Examples))
		}
		for j, ex := range topic.Examples {
			if strings.TrimSpace(ex) == "" {
				add(field+".examples["+strconv.Itoa(j)+"]", "must not be empty")
			} else if utf8.RuneCountInString(ex) > maxExampleLength {
				add(field+".examples["+strconv.Itoa(j)+"]", "at most %d characters", maxExampleLength)
			}
		}
	}
	if len(v) > 0 {
		return v
	}
	return nil
}
