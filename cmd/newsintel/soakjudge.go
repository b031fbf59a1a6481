package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// soakOp is one kind of request `bench soak` sends.
type soakOp string

// The soak's operations. The first group is the traffic a deployment
// serves; the second injects errors whose answer is known in advance.
const (
	opClassify      soakOp = "classify"
	opSummarize     soakOp = "summarize"
	opReviewClaim   soakOp = "review_claim"
	opReviewLabel   soakOp = "review_label"
	opFeedback      soakOp = "feedback"
	opConsolePage   soakOp = "console_page"
	opConsoleSkip   soakOp = "console_skip"
	opMetricsScrape soakOp = "metrics_scrape"

	opBadBody   soakOp = "inject_bad_body"      // malformed or invalid JSON: 422
	opNoKey     soakOp = "inject_no_api_key"    // no or a wrong API key: 401
	opBadCSRF   soakOp = "inject_bad_csrf"      // a console form without its token: 403
	opCancelled soakOp = "inject_killed_client" // the client gives up mid-flight
)

// soakOps lists every operation in report order.
var soakOps = []soakOp{opClassify, opSummarize, opReviewClaim, opReviewLabel, opFeedback, opConsolePage, opConsoleSkip,
	opMetricsScrape, opBadBody, opNoKey, opBadCSRF, opCancelled}

// injected reports whether op exists to provoke an error.
func (op soakOp) injected() bool { return strings.HasPrefix(string(op), "inject_") }

// wantStatus is the status each operation must answer with.
var wantStatus = map[soakOp]int{
	opClassify: http.StatusOK, opSummarize: http.StatusOK, opReviewClaim: http.StatusOK, opReviewLabel: http.StatusOK,
	opFeedback: http.StatusCreated, opConsolePage: http.StatusOK, opConsoleSkip: http.StatusOK, opMetricsScrape: http.StatusOK,
	opBadBody: http.StatusUnprocessableEntity, opNoKey: http.StatusUnauthorized, opBadCSRF: http.StatusForbidden,
	opCancelled: http.StatusOK, // when the answer beats the client's deadline
}

// judge classifies one answer: status is 0 when err reports that no
// answer came. A killed client expects its own cancellation (or a
// complete answer, when the server was quicker than the deadline); every
// other operation expects exactly its status. reason groups answers in
// the report.
func judge(op soakOp, status int, err error) (expected bool, reason string) {
	want, known := wantStatus[op]
	if !known {
		return false, "unknown operation"
	}
	if err != nil {
		if op == opCancelled && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return true, "cancelled mid-flight"
		}
		return false, "transport: " + transportKind(err)
	}
	if status == want {
		if op == opCancelled {
			return true, "answered before the deadline"
		}
		return true, fmt.Sprintf("status %d", status)
	}
	return false, fmt.Sprintf("status %d, want %d", status, want)
}

// transportKind names a client-side failure without its addresses, so
// that equal failures group together.
func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case strings.Contains(err.Error(), "EOF"):
		return "connection closed (EOF)"
	}
	return "other"
}
