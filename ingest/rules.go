// Package ingest brings articles in without an API client posting each
// one: bulk imports (JSONL, CSV) and feed items are staged in the
// database and processed by background jobs (package jobs) that
// deduplicate, classify and queue them for review by the same rules as
// POST /classify_news, which uses this package for them too.
package ingest

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/store"
)

// MaxTitleChars bounds an article's title.
const MaxTitleChars = 1000

// Rules turn a classifier's verdicts into what is stored: a prediction
// per article and, for the uncertain ones, a review request.
type Rules struct {
	// Review decides which predictions are queued for human review.
	Review classify.ReviewRule
	// DoubleReview routes every new review item to two reviewers.
	DoubleReview bool
}

// Classifications pairs each article with its prediction in res and, by
// the review rule, a review request. requestID ties the predictions to
// the request or job that made them.
func (r Rules) Classifications(res classify.Result, articles []store.NewArticle, taxonomy, requestID string) []store.Classification {
	items := make([]store.Classification, len(articles))
	for i, a := range articles {
		p := res.Predictions[i]
		items[i] = store.Classification{
			Article: a,
			Prediction: store.NewPrediction{ModelVersion: res.ModelVersion, Taxonomy: taxonomy, Label: p.Label,
				Confidence: p.Confidence, Scores: p.Scores, RequestID: requestID},
		}
		if queue, priority := r.Review.Check(p.Uncertainty); queue {
			rv := &store.ReviewRequest{Reason: r.Review.Strategy, Priority: priority, Uncertainty: 1 - p.Uncertainty.Top, RequiredReviews: 1}
			if r.DoubleReview {
				rv.RequiredReviews = 2
			}
			if i < len(res.Vectors) {
				rv.Embedding = res.Vectors[i]
			}
			items[i].Review = rv
		}
	}
	return items
}

// Article is an article as it arrives, before validation: from a JSON
// request, a JSONL or CSV row, or a feed entry.
type Article struct {
	Title       string
	Text        *string
	Description *string
	URL         string
	Source      string
	PublishedAt string
}

// Problem is one field of an Article that is not acceptable.
type Problem struct {
	Field   string
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// Check validates a and returns it as a store.NewArticle (without an
// external id), or the problems found.
func (a Article) Check() (store.NewArticle, []Problem) {
	var (
		errs []Problem
		body string
		out  store.NewArticle
	)
	add := func(field, msg string) { errs = append(errs, Problem{Field: field, Message: msg}) }
	switch {
	case a.Text != nil && a.Description != nil:
		add("text", "send text or description, not both")
	case a.Description != nil:
		body = *a.Description
		if strings.TrimSpace(body) == "" {
			add("description", "must not be empty")
		}
	default:
		if a.Text != nil {
			body = *a.Text
		}
		if strings.TrimSpace(body) == "" {
			add("text", "required: the article's text (or description) must not be empty")
		}
	}
	if utf8.RuneCountInString(a.Title) > MaxTitleChars {
		add("title", fmt.Sprintf("at most %d characters", MaxTitleChars))
	}
	if a.URL != "" {
		if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("url", "must be an absolute http(s) URL")
		}
	}
	if a.PublishedAt != "" {
		t, err := ParseTime(a.PublishedAt)
		if err != nil {
			add("published_at", "must be an RFC 3339 time (2026-11-27T09:30:00Z) or a date (2026-11-27)")
		} else {
			out.PublishedAt = &t
		}
	}
	out.Title, out.Body, out.URL, out.Source = a.Title, body, a.URL, a.Source
	return out, errs
}

// ParseTime reads an RFC 3339 time or a date, in UTC.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	return t.UTC(), err
}
