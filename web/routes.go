package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// Route names. Every route has one; the console links by name.
const (
	RouteHealth            = "health"
	RouteReady             = "ready"
	RouteMetrics           = "metrics"
	RouteMetricsPrometheus = "metrics-prometheus"
	RouteStatic            = "static"
	RouteFavicon           = "favicon"
	RouteEmbed             = "embed"
	RouteClassifyNews      = "classify-news"
	RouteSummarize         = "summarize"
	RouteTaxonomies        = "taxonomies"
	RouteTaxonomy          = "taxonomy"
	RouteTaxonomyPut       = "taxonomy-put"
	RouteTaxonomyDelete    = "taxonomy-delete"
	RouteOpenAPI           = "openapi"
	RouteDocs              = "docs"

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

	// Models, fine-tuning and lineage (models.go, finetune.go, lineage.go).
	RouteModels            = "models"
	RouteModelPromote      = "model-promote"
	RouteModelRollback     = "model-rollback"
	RouteFinetune          = "finetune"
	RouteTrainingRuns      = "training-runs"
	RouteTrainingRun       = "training-run"
	RoutePredictionLineage = "prediction-lineage"

	// Stored articles (articles.go).
	RouteArticle = "article"

	// Background ingest: bulk imports and feed sources (imports.go,
	// sources.go).
	RouteImportUpload = "import-upload"
	RouteImport       = "import"
	RouteImportCancel = "import-cancel"
	RouteSources      = "sources"
	RouteSourceAdd    = "source-add"
	RouteSource       = "source"
	RouteSourcePause  = "source-pause"
	RouteSourceResume = "source-resume"
	RouteSourceDelete = "source-delete"

	// The operator console (console_*.go): HTML pages for logged-in users.
	RouteRoot              = "root"
	RouteConsoleLogin      = "console-login"
	RouteConsoleLoginPost  = "console-login-post"
	RouteConsoleLogout     = "console-logout"
	RouteConsoleHome       = "console-home"
	RouteConsoleStatus     = "console-status"
	RouteConsoleReview     = "console-review"
	RouteConsoleTrends     = "console-trends"
	RouteConsoleMetrics    = "console-metrics"
	RouteConsoleArticles   = "console-articles"
	RouteConsoleModels     = "console-models"
	RouteConsoleTaxonomies = "console-taxonomies"
	RouteConsoleUsers      = "console-users"
	RouteConsoleKeys       = "console-keys"

	// The review page's actions and modes (console_review*.go).
	RouteConsoleReviewLabel        = "console-review-label"
	RouteConsoleReviewSkip         = "console-review-skip"
	RouteConsoleReviewReject       = "console-review-reject"
	RouteConsoleReviewUndo         = "console-review-undo"
	RouteConsoleReviewBulk         = "console-review-bulk"
	RouteConsoleReviewBulkLabel    = "console-review-bulk-label"
	RouteConsoleReviewBulkUndo     = "console-review-bulk-undo"
	RouteConsoleReviewAdjudication = "console-review-adjudication"
	RouteConsoleReviewSettle       = "console-review-settle"

	// Trends and metrics (console_trends.go, console_metrics.go).
	RouteConsoleTrendsCSV = "console-trends-csv"

	// Models, articles and administration (console_models.go,
	// console_articles.go, console_admin*.go). A GET of an action's path
	// is its confirmation page, so it works without JavaScript.
	RouteConsoleModelPromote         = "console-model-promote"
	RouteConsoleModelPromoteConfirm  = "console-model-promote-confirm"
	RouteConsoleModelRollback        = "console-model-rollback"
	RouteConsoleModelRollbackConfirm = "console-model-rollback-confirm"
	RouteConsoleFinetune             = "console-finetune"
	RouteConsoleFinetuneConfirm      = "console-finetune-confirm"
	RouteConsoleModelBundle          = "console-model-bundle"
	RouteConsoleArticle              = "console-article"
	RouteConsoleTaxonomyNew          = "console-taxonomy-new"
	RouteConsoleTaxonomyCreate       = "console-taxonomy-create"
	RouteConsoleTaxonomyEdit         = "console-taxonomy-edit"
	RouteConsoleTaxonomySave         = "console-taxonomy-save"
	RouteConsoleTaxonomyDelete       = "console-taxonomy-delete"
	RouteConsoleTaxonomyDeleteAsk    = "console-taxonomy-delete-confirm"
	RouteConsoleUserAdd              = "console-user-add"
	RouteConsoleUserRole             = "console-user-role"
	RouteConsoleUserDisable          = "console-user-disable"
	RouteConsoleUserPassword         = "console-user-password"

	// Feed sources (console_sources.go).
	RouteConsoleSources      = "console-sources"
	RouteConsoleSourceAdd    = "console-source-add"
	RouteConsoleSourcePause  = "console-source-pause"
	RouteConsoleSourceResume = "console-source-resume"
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
		{RouteFavicon, http.MethodGet, "/favicon.ico", true, s.favicon},
		{RouteRoot, http.MethodGet, "/", true, s.root},
		{RouteConsoleLogin, http.MethodGet, "/console/login", true, s.loginPage},
		{RouteConsoleLoginPost, http.MethodPost, "/console/login", true, s.login},
		{RouteOpenAPI, http.MethodGet, "/openapi.json", true, s.openAPI},
		{RouteDocs, http.MethodGet, "/docs", true, s.docs},
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
		{RouteModels, http.MethodGet, "/models", false, s.listModels},
		{RouteModelRollback, http.MethodPost, "/models/rollback", false, s.rollbackModel},
		{RouteModelPromote, http.MethodPost, "/models/:version/promote", false, s.promoteModel},
		{RouteFinetune, http.MethodPost, "/admin/finetune", false, s.startFinetune},
		{RouteTrainingRuns, http.MethodGet, "/admin/training-runs", false, s.listTrainingRuns},
		{RouteTrainingRun, http.MethodGet, "/admin/training-runs/:id", false, s.getTrainingRun},
		{RoutePredictionLineage, http.MethodGet, "/predictions/:id/lineage", false, s.predictionLineage},

		// Stored articles.
		{RouteArticle, http.MethodGet, "/articles/:id", false, s.getArticle},

		// Background ingest.
		{RouteImportUpload, http.MethodPost, "/imports", false, s.uploadImport},
		{RouteImport, http.MethodGet, "/imports/:id", false, s.getImport},
		{RouteImportCancel, http.MethodPost, "/imports/:id/cancel", false, s.cancelImport},
		{RouteSources, http.MethodGet, "/sources", false, s.listSources},
		{RouteSourceAdd, http.MethodPost, "/sources", false, s.addSource},
		{RouteSource, http.MethodGet, "/sources/:name", false, s.getSource},
		{RouteSourcePause, http.MethodPost, "/sources/:name/pause", false, s.pauseSource},
		{RouteSourceResume, http.MethodPost, "/sources/:name/resume", false, s.resumeSource},
		{RouteSourceDelete, http.MethodDelete, "/sources/:name", false, s.deleteSource},
	}
}

// specExempt names the routes of routes() that web/openapi.json does not
// describe, because they are not the JSON API: static assets and the
// HTML pages. Console pages (pages()) are all HTML and never in the spec.
// openapi_test.go fails when any other route lacks an operation there.
var specExempt = map[string]string{
	RouteStatic:           "embedded CSS and scripts",
	RouteRoot:             "redirects browsers to the console",
	RouteConsoleLogin:     "the console's login page (HTML)",
	RouteConsoleLoginPost: "the console's login form (HTML)",
	RouteDocs:             "the API reference page (HTML)",
	RouteFavicon:          "the console's icon (SVG)",
}

// page is a console route. It needs a logged-in user holding one of roles
// (admins pass everywhere); requireUser checks the role and, on
// state-changing methods, the CSRF token.
type page struct {
	name    string
	method  string
	path    string
	roles   []string
	handler echo.HandlerFunc
}

// Who may use which console pages.
var (
	anyone    = []string{store.RoleReviewer, store.RoleAnalyst}
	reviewers = []string{store.RoleReviewer}
	analysts  = []string{store.RoleAnalyst}
	admins    = []string{}
)

// pages is the console's half of the route table.
func (s *Server) pages() []page {
	return []page{
		{RouteConsoleHome, http.MethodGet, "/console/", anyone, s.consoleHome},
		{RouteConsoleStatus, http.MethodGet, "/console/status", anyone, s.consoleStatus},
		{RouteConsoleLogout, http.MethodPost, "/console/logout", anyone, s.logout},

		// The review page (console_review*.go).
		{RouteConsoleReview, http.MethodGet, "/console/review", reviewers, s.consoleReview},
		{RouteConsoleReviewLabel, http.MethodPost, "/console/review/items/:id/label", reviewers, s.consoleReviewLabel},
		{RouteConsoleReviewSkip, http.MethodPost, "/console/review/items/:id/skip", reviewers, s.consoleReviewSkip},
		{RouteConsoleReviewReject, http.MethodPost, "/console/review/items/:id/reject", reviewers, s.consoleReviewReject},
		{RouteConsoleReviewUndo, http.MethodPost, "/console/review/items/:id/undo", reviewers, s.consoleReviewUndo},
		{RouteConsoleReviewBulk, http.MethodGet, "/console/review/bulk", reviewers, s.consoleReviewBulk},
		{RouteConsoleReviewBulkLabel, http.MethodPost, "/console/review/bulk", reviewers, s.consoleReviewBulkLabel},
		{RouteConsoleReviewBulkUndo, http.MethodPost, "/console/review/bulk/undo", reviewers, s.consoleReviewBulkUndo},
		{RouteConsoleReviewAdjudication, http.MethodGet, "/console/review/adjudication", admins, s.consoleAdjudication},
		{RouteConsoleReviewSettle, http.MethodPost, "/console/review/adjudication/:id", admins, s.consoleAdjudicationSettle},

		// Trends and metrics (console_trends.go, console_metrics.go).
		{RouteConsoleTrends, http.MethodGet, "/console/trends", analysts, s.consoleTrends},
		{RouteConsoleTrendsCSV, http.MethodGet, "/console/trends.csv", analysts, s.consoleTrendsCSV},
		{RouteConsoleMetrics, http.MethodGet, "/console/metrics", analysts, s.consoleMetrics},

		// Models, articles and administration (console_models.go,
		// console_articles.go, console_admin*.go).
		{RouteConsoleModels, http.MethodGet, "/console/models", admins, s.consoleModels},
		{RouteConsoleModelRollbackConfirm, http.MethodGet, "/console/models/rollback", admins, s.consoleRollbackConfirm},
		{RouteConsoleModelRollback, http.MethodPost, "/console/models/rollback", admins, s.consoleRollback},
		{RouteConsoleFinetuneConfirm, http.MethodGet, "/console/models/finetune", admins, s.consoleFinetuneConfirm},
		{RouteConsoleFinetune, http.MethodPost, "/console/models/finetune", admins, s.consoleFinetune},
		{RouteConsoleModelPromoteConfirm, http.MethodGet, "/console/models/:version/promote", admins, s.consolePromoteConfirm},
		{RouteConsoleModelPromote, http.MethodPost, "/console/models/:version/promote", admins, s.consolePromote},
		{RouteConsoleModelBundle, http.MethodGet, "/console/models/:version/bundle", admins, s.consoleModelBundle},
		{RouteConsoleArticles, http.MethodGet, "/console/articles", anyone, s.consoleArticles},
		{RouteConsoleArticle, http.MethodGet, "/console/articles/:id", anyone, s.consoleArticle},
		{RouteConsoleTaxonomies, http.MethodGet, "/console/taxonomies", admins, s.consoleTaxonomies},
		{RouteConsoleTaxonomyNew, http.MethodGet, "/console/taxonomies/new", admins, s.consoleTaxonomyNew},
		{RouteConsoleTaxonomyCreate, http.MethodPost, "/console/taxonomies", admins, s.consoleTaxonomyCreate},
		{RouteConsoleTaxonomyEdit, http.MethodGet, "/console/taxonomies/:name/edit", admins, s.consoleTaxonomyEdit},
		{RouteConsoleTaxonomySave, http.MethodPost, "/console/taxonomies/:name/edit", admins, s.consoleTaxonomySave},
		{RouteConsoleTaxonomyDeleteAsk, http.MethodGet, "/console/taxonomies/:name/delete", admins, s.consoleTaxonomyDeleteConfirm},
		{RouteConsoleTaxonomyDelete, http.MethodPost, "/console/taxonomies/:name/delete", admins, s.consoleTaxonomyDelete},
		{RouteConsoleUsers, http.MethodGet, "/console/users", admins, s.consoleUsers},
		{RouteConsoleUserAdd, http.MethodPost, "/console/users", admins, s.consoleUserAdd},
		{RouteConsoleUserRole, http.MethodPost, "/console/users/role", admins, s.consoleUserRole},
		{RouteConsoleUserDisable, http.MethodPost, "/console/users/disable", admins, s.consoleUserDisable},
		{RouteConsoleUserPassword, http.MethodPost, "/console/users/password", admins, s.consoleUserPassword},
		{RouteConsoleKeys, http.MethodGet, "/console/keys", admins, s.consoleKeys},

		// Feed sources (console_sources.go).
		{RouteConsoleSources, http.MethodGet, "/console/sources", admins, s.consoleSources},
		{RouteConsoleSourceAdd, http.MethodPost, "/console/sources", admins, s.consoleSourceAdd},
		{RouteConsoleSourcePause, http.MethodPost, "/console/sources/:name/pause", admins, s.consoleSourcePause},
		{RouteConsoleSourceResume, http.MethodPost, "/console/sources/:name/resume", admins, s.consoleSourceResume},
	}
}
