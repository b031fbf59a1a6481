package topic

import (
	"html"
	"regexp"
	"strings"
	"unicode"
)

// NormalizerVersion names the behaviour of Normalize. It is recorded in
// every artifact: a model must be served with the normaliser it was
// trained with.
const NormalizerVersion = "ag-v1"

var (
	// AG News replaced the "&" of HTML entities by a space: "Messier #39;s"
	// for "Messier&#39;s", "AT amp;T" for "AT&amp;T", " quot;" for
	// "&quot;". The numeric form is unambiguous; the named form is only
	// taken after a space or at the start. The space that stood for the
	// "&" is dropped.
	reBareNumeric = regexp.MustCompile(`(^|[^&0-9A-Za-z])#([0-9]{2,5});`)
	reBareNamed   = regexp.MustCompile(`(^|\s)(quot|amp|nbsp|hellip|rsquo|lsquo|rdquo|ldquo|mdash|ndash|lt|gt|pound|euro|trade|reg|copy);`)
	reTag         = regexp.MustCompile(`<(/?)([A-Za-z][A-Za-z0-9]*)([^<>]*)>`)
	reWS          = regexp.MustCompile(`\s+`)
)

// htmlTags are the tag names stripped from text. Other "<...>" spans are
// kept: Reuters writes tickers that way ("<LOW.N>", "<CLc1>").
var htmlTags = map[string]bool{
	"a": true, "b": true, "i": true, "u": true, "p": true, "br": true, "hr": true,
	"em": true, "strong": true, "font": true, "img": true, "div": true, "span": true,
	"li": true, "ul": true, "ol": true, "sup": true, "sub": true, "tt": true,
	"table": true, "tr": true, "td": true, "th": true, "small": true, "big": true,
	"blockquote": true, "pre": true, "code": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "center": true, "cite": true, "q": true, "s": true,
	"strike": true, "del": true, "ins": true, "abbr": true, "nobr": true, "wbr": true,
}

// cp1252 maps the bytes 0x80-0x9F of Windows-1252 to their characters.
var cp1252 = map[rune]rune{
	0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡',
	0x88: 'ˆ', 0x89: '‰', 0x8A: 'Š', 0x8B: '‹', 0x8C: 'Œ', 0x8E: 'Ž', 0x91: '\'',
	0x92: '\'', 0x93: '"', 0x94: '"', 0x95: '•', 0x96: '–', 0x97: '—', 0x98: '˜',
	0x99: '™', 0x9A: 'š', 0x9B: '›', 0x9C: 'œ', 0x9E: 'ž', 0x9F: 'Ÿ',
}

// Normalize cleans one text the way every model of this package sees it,
// at training and at serving time alike. It repairs the artifacts of the
// AG News source (entities without their '&' such as "#39;" and " quot;",
// "\$" for "$", "\" for line breaks), unescapes HTML entities, maps
// Windows-1252 code points and typographic quotes to plain ones, strips
// HTML tags (keeping Reuters tickers such as "<LOW.N>") and collapses
// whitespace. It is idempotent.
func Normalize(s string) string {
	if s == "" {
		return s
	}
	s = strings.ReplaceAll(s, `\$`, "$")
	s = strings.ReplaceAll(s, `\`, " ")
	for range 3 { // "&amp;lt;" takes two rounds
		t := reBareNumeric.ReplaceAllStringFunc(s, func(m string) string {
			sub := reBareNumeric.FindStringSubmatch(m)
			return dropSpace(sub[1]) + "&#" + sub[2] + ";"
		})
		t = reBareNamed.ReplaceAllStringFunc(t, func(m string) string {
			sub := reBareNamed.FindStringSubmatch(m)
			return dropSpace(sub[1]) + "&" + sub[2] + ";"
		})
		t = html.UnescapeString(t)
		if t == s {
			break
		}
		s = t
	}
	s = strings.Map(func(r rune) rune {
		if m, ok := cp1252[r]; ok {
			r = m
		}
		switch r {
		case '\u2018', '\u2019', '\u201A', '\u2032':
			return '\''
		case '\u201C', '\u201D', '\u201E', '\u2033':
			return '"'
		case '\u00A0', '\u2007', '\u202F':
			return ' '
		case '\u00AD', '\u200B', '\uFEFF':
			return -1
		}
		if r < 0x20 || (r >= 0x7F && r < 0xA0) {
			if unicode.IsSpace(r) {
				return ' '
			}
			return -1
		}
		return r
	}, s)
	s = reTag.ReplaceAllStringFunc(s, func(m string) string {
		sub := reTag.FindStringSubmatch(m)
		if htmlTags[strings.ToLower(sub[2])] {
			return " "
		}
		return m
	})
	s = reWS.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// ArticleText joins a title and a description into the one text a model
// classifies, the way the AG News training texts are joined:
// "title . description". Either part may be empty.
func ArticleText(title, description string) string {
	title, description = Normalize(title), Normalize(description)
	switch {
	case title == "":
		return description
	case description == "":
		return title
	}
	return title + " . " + description
}

// dropSpace drops the space that stood for an entity's "&".
func dropSpace(prefix string) string {
	if strings.TrimSpace(prefix) == "" {
		return ""
	}
	return prefix
}
