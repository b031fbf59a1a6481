// Package newsintel is the module root. It holds no code: the program is
// cmd/newsintel. This file carries the generate directive for the templ
// components in views/.
package newsintel

//go:generate go tool templ generate
