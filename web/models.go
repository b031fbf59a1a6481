package web

// modelStore is what the model, fine-tuning and lineage routes need.
type modelStore interface{}
