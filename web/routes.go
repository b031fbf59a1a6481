package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Route names. Every route has one; the console links by name.
const (
	RouteHealth            = "health"
	RouteReady             = "ready"
	RouteMetrics           = "metrics"
	RouteMetricsPrometheus = "metrics-prometheus"
	RouteStatic            = "static"
	RouteEmbed             = "embed"
	RouteClassifyNews      = "classify-news"
	RouteSummarize         = "summarize"
	RouteTaxonomies        = "taxonomies"
	RouteTaxonomy          = "taxonomy"
	RouteTaxonomyPut       = "taxonomy-put"
	RouteTaxonomyDelete    = "taxonomy-delete"

	// Review queue and feedback (review.go, feedback.go).
	RouteReviewQueue          = "review-queue"
	RouteReviewClaim          = "review-claim"
	RouteReviewBulkLabel      = "review-bulk-label"
	RouteReviewActiveLearning = "review-active-learning"
	RouteReviewItem           = "review-item"
	RouteReviewLabel          = "review-label"
	RouteReviewSkip           = "review-skip"
	RouteReviewUndo           = "review-undo"
	RouteFeedback             = "feedback"

	// Models, fine-tuning and lineage (models.go, finetune.go).
)

type route struct {
	name    string
	method  string
	path    string
	public  bool // public routes need no API key; the auth tests pin this list
	handler echo.HandlerFunc
}

// routes is the one route table: JSON API and console side by side.
//
// Metrics need a key: they reveal traffic by route and key name, and
// Prometheus sends one with its scrape config's authorization setting.
// Liveness, readiness and static assets stay public for load balancers and
// browsers.
func (s *Server) routes() []route {
	return []route{
		{RouteHealth, http.MethodGet, "/health", true, s.health},
		{RouteReady, http.MethodGet, "/ready", true, s.ready},
		{RouteMetrics, http.MethodGet, "/metrics", false, s.metricsJSON},
		{RouteMetricsPrometheus, http.MethodGet, "/metrics/prometheus", false, s.metricsPrometheus},
		{RouteStatic, http.MethodGet, "/static/*", true, s.static},
		{RouteEmbed, http.MethodPost, "/embed", false, s.embed},
		{RouteClassifyNews, http.MethodPost, "/classify_news", false, s.classifyNews},
		{RouteSummarize, http.MethodPost, "/summarize", false, s.summarizeArticle},
		{RouteTaxonomies, http.MethodGet, "/taxonomies", false, s.listTaxonomies},
		{RouteTaxonomy, http.MethodGet, "/taxonomies/:name", false, s.getTaxonomy},
		{RouteTaxonomyPut, http.MethodPut, "/taxonomies/:name", false, s.putTaxonomy},
		{RouteTaxonomyDelete, http.MethodDelete, "/taxonomies/:name", false, s.deleteTaxonomy},

		// Review queue and feedback.
		{RouteReviewQueue, http.MethodGet, "/review/queue", false, s.reviewQueue},
		{RouteReviewClaim, http.MethodPost, "/review/claim", false, s.claimReview},
		{RouteReviewBulkLabel, http.MethodPost, "/review/labels", false, s.bulkLabelReview},
		{RouteReviewActiveLearning, http.MethodGet, "/review/active-learning", false, s.activeLearning},
		{RouteReviewItem, http.MethodGet, "/review/:id", false, s.reviewItem},
		{RouteReviewLabel, http.MethodPost, "/review/:id/label", false, s.labelReview},
		{RouteReviewSkip, http.MethodPost, "/review/:id/skip", false, s.skipReview},
		{RouteReviewUndo, http.MethodPost, "/review/:id/undo", false, s.undoReview},
		{RouteFeedback, http.MethodPost, "/feedback", false, s.feedback},

		// Models, fine-tuning and lineage.
	}
}
