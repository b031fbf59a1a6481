// Package views holds the console's templ components. Components take
// display-shaped view models and never touch storage; web/ builds the
// models and renders them through its one render helper.
package views

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }
