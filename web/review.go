package web

// reviewStore is what the review queue and feedback routes need.
type reviewStore interface{}
