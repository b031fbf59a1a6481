package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentence is one sentence of a text, as found by Split.
type Sentence struct {
	// Text is the sentence: exactly text[Start:End] of the split text,
	// without surrounding white space (and without a list item's bullet).
	Text       string `json:"text"`
	Start, End int    // byte offsets into the split text
	// Paragraph counts the blank-line separated blocks before this
	// sentence's block (0 for the first).
	Paragraph int `json:"paragraph"`
	// ParaStart reports that the sentence is the first of its paragraph.
	ParaStart bool `json:"para_start"`
	// ListItem reports that the sentence comes from a bulleted or numbered
	// line.
	ListItem bool `json:"list_item"`
}

// Split breaks text into sentences with their byte offsets.
//
// Boundaries are sentence-final punctuation (. ! ? … and "...") followed by
// white space and something that can start a sentence, after absorbing
// closing quotes and brackets, so `He said "Go." Then` ends inside the
// quote. It does not split after titles (Mr. Dr. St. …), initials (J. K.
// Rowling), dotted acronyms (U.S., e.g.) unless the next word is a common
// sentence opener ("in the U.S. The firm"), before a lower-case word, or
// inside numbers ($10.9bn, 3.5%). A full stop directly followed by a
// capitalised word (`$10.9bn.For the year`), as in summaries whose
// sentences were joined without a space, is a boundary unless the left
// word is capitalised (One.Tel), an abbreviation (St.Louis), part of a
// dotted name or URL (Halo.Bungie.Org, www.bbc.co.uk) — in those cases only
// a common opener (`AOL.The`) splits it.
//
// Blank lines end paragraphs; bulleted or numbered lines (-, *, •, 1., 1),
// a)) are sentences of their own without the bullet; a single line break
// ends a sentence when the line ends with punctuation or is short like a
// heading, and is plain white space inside hard-wrapped prose.
func Split(text string) []Sentence {
	var out []Sentence
	for _, seg := range segments(text) {
		n := len(out)
		out = splitSegment(text, seg, out)
		if len(out) > n {
			out[n].ParaStart = seg.paraStart
		}
	}
	return out
}

// segment is a run of text that punctuation splits further.
type segment struct {
	start, end int
	paragraph  int
	paraStart  bool
	listItem   bool
}

// segments cuts text at blank lines, list items and line breaks that end
// a sentence.
func segments(text string) []segment {
	var lines []line
	for pos := 0; pos <= len(text); {
		nl := strings.IndexByte(text[pos:], '\n')
		end := len(text)
		if nl >= 0 {
			end = pos + nl
		}
		s, e := trimSpan(text, pos, end)
		l := line{start: s, end: e, blank: s == e}
		if !l.blank {
			if m := bulletLen(text[s:e]); m > 0 {
				l.list = true
				l.start, _ = trimSpan(text, s+m, e)
			}
		}
		lines = append(lines, l)
		if nl < 0 {
			break
		}
		pos = end + 1
	}
	var segs []segment
	para, newPara := 0, true
	var cur *segment
	var prev line
	for _, l := range lines {
		if l.blank {
			if !newPara {
				para++
			}
			newPara = true
			cur = nil
			continue
		}
		if cur != nil && !l.list && !cur.listItem && !l.blank && joinLines(text, prev, l.start) {
			cur.end = l.end
			prev = l
			continue
		}
		segs = append(segs, segment{start: l.start, end: l.end, paragraph: para, paraStart: newPara, listItem: l.list})
		cur = &segs[len(segs)-1]
		newPara = false
		prev = l
	}
	return segs
}

// line is one line of text, trimmed.
type line struct {
	start, end int // trimmed content
	blank      bool
	list       bool
}

// joinLines reports whether the line starting at next continues the
// sentence of line prev (hard-wrapped prose) rather than starting anew.
func joinLines(text string, prev line, next int) bool {
	last, _ := utf8.DecodeLastRuneInString(text[prev.start:prev.end])
	if strings.ContainsRune(".!?…:;\"'”’)]", last) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(text[next:])
	if unicode.IsLower(first) {
		return true
	}
	// A long line without final punctuation is hard-wrapped prose; a
	// short one is a heading or a caption.
	return utf8.RuneCountInString(text[prev.start:prev.end]) >= 50
}

// bulletLen returns the length of the list marker (and the space after it)
// that line starts with, or 0.
func bulletLen(line string) int {
	for _, b := range []string{"- ", "* ", "• ", "· ", "– ", "— ", "‣ ", "▪ "} {
		if strings.HasPrefix(line, b) {
			return len(b)
		}
	}
	// 1. 12) a) (a) (iv)
	i := 0
	paren := false
	if strings.HasPrefix(line, "(") {
		paren = true
		i = 1
	}
	j := i
	for j < len(line) && j-i < 3 && line[j] >= '0' && line[j] <= '9' {
		j++
	}
	if j == i {
		// a single letter: a) or (a)
		if j < len(line) && line[j] >= 'a' && line[j] <= 'z' {
			j++
		} else {
			return 0
		}
		if j < len(line) && line[j] != ')' {
			return 0
		}
	}
	if j >= len(line) {
		return 0
	}
	switch {
	case paren && line[j] == ')':
	case !paren && line[j] == ')':
	case !paren && line[j] == '.' && line[i] >= '0' && line[i] <= '9':
	default:
		return 0
	}
	j++
	if j < len(line) && line[j] == ' ' {
		return j + 1
	}
	return 0
}

// trimSpan narrows [s,e) of text to exclude surrounding white space.
func trimSpan(text string, s, e int) (int, int) {
	for s < e {
		r, n := utf8.DecodeRuneInString(text[s:e])
		if !unicode.IsSpace(r) {
			break
		}
		s += n
	}
	for e > s {
		r, n := utf8.DecodeLastRuneInString(text[s:e])
		if !unicode.IsSpace(r) {
			break
		}
		e -= n
	}
	return s, e
}

// splitSegment appends the sentences of text[seg.start:seg.end] to out.
func splitSegment(text string, seg segment, out []Sentence) []Sentence {
	emit := func(s, e int) {
		s, e = trimSpan(text, s, e)
		if s < e && hasWordChar(text[s:e]) {
			out = append(out, Sentence{Text: text[s:e], Start: s, End: e, Paragraph: seg.paragraph, ListItem: seg.listItem})
		} else if s < e && len(out) > 0 && out[len(out)-1].End <= s && seg.start <= out[len(out)-1].Start {
			// Stray punctuation: attach it to the previous sentence.
			last := &out[len(out)-1]
			last.End = e
			last.Text = text[last.Start:e]
		}
	}
	sentStart := seg.start
	i := seg.start
	for i < seg.end {
		r, n := utf8.DecodeRuneInString(text[i:seg.end])
		term, termEnd, ellipsis := false, i+n, false
		switch {
		case r == '.' && strings.HasPrefix(text[i:seg.end], "..."):
			term, ellipsis = true, true
			termEnd = i + 3
			for termEnd < seg.end && text[termEnd] == '.' {
				termEnd++
			}
		case r == '…':
			term, ellipsis = true, true
		case r == '.' || r == '!' || r == '?':
			term = true
			// ?! !!! ?? runs
			for termEnd < seg.end && (text[termEnd] == '!' || text[termEnd] == '?') {
				termEnd++
			}
		}
		if !term {
			i += n
			continue
		}
		cut, ok := boundary(text, seg.start, seg.end, sentStart, i, termEnd, r, ellipsis)
		if ok {
			emit(sentStart, cut)
			sentStart = cut
			i = cut
			continue
		}
		i = termEnd
	}
	emit(sentStart, seg.end)
	return out
}

func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// boundary decides whether the terminator text[term:termEnd] (r is its
// first rune) ends the sentence that began at sentStart, and returns where
// the sentence ends (after closing quotes and brackets).
func boundary(text string, segStart, end, sentStart, term, termEnd int, r rune, ellipsis bool) (int, bool) {
	// Absorb closing quotes and brackets.
	cut := termEnd
	for cut < end {
		c, n := utf8.DecodeRuneInString(text[cut:end])
		closing := false
		switch c {
		case ')', ']', '”', '’', '»':
			closing = true
		case '"':
			// A straight double quote after the terminator closes when
			// white space or punctuation follows, or when the paragraph
			// so far has an odd number of them (a quote may span
			// sentences): `."The` opens the next sentence otherwise.
			closing = cut+n >= end || isSpaceOrCloser(text[cut+n:end]) || strings.Count(text[segStart:cut], `"`)%2 == 1
		case '\'':
			// A straight single quote closes when it is followed by white
			// space, the end or another closer (not "'s").
			closing = cut+n >= end || isSpaceOrCloser(text[cut+n:end])
		}
		if !closing {
			break
		}
		cut += n
	}
	if cut >= end {
		return cut, true
	}
	next, _ := utf8.DecodeRuneInString(text[cut:end])
	spaced := unicode.IsSpace(next)
	left := leftWord(text, sentStart, term)

	if !spaced {
		// Joined without a space: "bn.For", "said."The", "end.I think".
		if ellipsis || cut > termEnd && r != '.' {
			// "...Now" and '?"The' are rare; keep them together.
			if !ellipsis && startsCapWord(text[cut:end]) {
				return cut, true
			}
			return 0, false
		}
		return cut, joinedBoundary(text, end, sentStart, term, cut, left)
	}
	// Skip white space to the next word.
	j := cut
	for j < end {
		c, n := utf8.DecodeRuneInString(text[j:end])
		if !unicode.IsSpace(c) {
			break
		}
		j += n
	}
	if j >= end {
		return cut, true
	}
	nextRune, _ := utf8.DecodeRuneInString(text[j:end])
	word := nextWord(text[j:end])
	switch {
	case unicode.IsLower(nextRune):
		return 0, false
	case ellipsis:
		// "murky area... There will" splits; "growth of 0.1%... in" did
		// not (lower case) above.
		return cut, unicode.IsUpper(nextRune) || isOpenQuote(nextRune)
	case r != '.' || cut > termEnd && !strings.HasSuffix(left, "."):
		// ! and ?, or a full stop inside closing quotes/brackets.
		return cut, true
	}
	// A full stop followed by white space and a non-lower-case character.
	lw := strings.ToLower(strings.TrimSuffix(left, "."))
	switch {
	case titles[lw]:
		return 0, false
	case numberAbbrevs[lw] && unicode.IsDigit(nextRune):
		return 0, false
	case lw == "a.m" || lw == "p.m":
		// "at 5 p.m. Staff left" but "at 5 p.m. GMT".
		return cut, !isUpperWord(word)
	case numberAbbrevs[lw], ambiguousAbbrevs[lw], isInitial(left), isDottedAcronym(left):
		return cut, starters[word] || isOpenQuote(nextRune)
	}
	return cut, true
}

// joinedBoundary decides a full stop at term directly followed (at next)
// by a non-space character.
func joinedBoundary(text string, end, sentStart, term, next int, left string) bool {
	rest := text[next:end]
	c, n := utf8.DecodeRuneInString(rest)
	if c == '"' || c == '\'' || c == '“' || c == '‘' {
		// ."The: an opening quote of the next sentence.
		rest = rest[n:]
	}
	if !startsCapWord(rest) {
		return false
	}
	word := nextWord(rest)
	// Halo.Bungie.Org: the right word is followed by another dot.
	if after := rest[len(word):]; len(after) > 1 && after[0] == '.' && isLetterByte(after[1]) {
		return false
	}
	token := leftToken(text, sentStart, term)
	lt := strings.ToLower(token)
	if strings.Contains(lt, "://") || strings.Contains(lt, "www") || strings.Contains(lt, "@") {
		return false
	}
	lw := strings.ToLower(strings.TrimSuffix(left, "."))
	if titles[lw] {
		return false
	}
	prev, _ := utf8.DecodeLastRuneInString(text[sentStart:term])
	switch {
	case numberAbbrevs[lw], ambiguousAbbrevs[lw], isInitial(left), isDottedAcronym(left), strings.ContainsRune(strings.TrimRight(token, "."), '.') && !hasDigit(token):
		// U.S.The, Bagle.AT, One.Tel
		return starters[word]
	case unicode.IsUpper(firstRune(left)):
		// A capitalised word: a brand (One.Tel) unless a common opener
		// follows (AOL.The).
		return starters[word]
	case unicode.IsLower(prev), unicode.IsDigit(prev), strings.ContainsRune("%)]\"'”’", prev):
		return true
	}
	return false
}

// leftWord returns the word (letters, digits, dots, apostrophes) that ends
// at term, including the dots inside it (U.S, e.g).
func leftWord(text string, sentStart, term int) string {
	i := term
	for i > sentStart {
		r, n := utf8.DecodeLastRuneInString(text[sentStart:i])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '\'' || r == '’') {
			break
		}
		i -= n
	}
	return strings.TrimLeft(text[i:term], ".'’")
}

// leftToken returns the run of non-space characters that ends at term.
func leftToken(text string, sentStart, term int) string {
	i := term
	for i > sentStart {
		r, n := utf8.DecodeLastRuneInString(text[sentStart:i])
		if unicode.IsSpace(r) {
			break
		}
		i -= n
	}
	return text[i:term]
}

// nextWord returns the leading letters (and apostrophes) of s.
func nextWord(s string) string {
	for i, r := range s {
		if !(unicode.IsLetter(r) || r == '\'' || r == '’') {
			return s[:i]
		}
	}
	return s
}

// startsCapWord reports whether s starts with a capitalised word: an
// upper-case letter followed by a lower-case one (For, The), or the
// pronoun I on its own (I, I'm, I've).
func startsCapWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) {
		return false
	}
	r2, _ := utf8.DecodeRuneInString(s[n:])
	if r == 'I' && (n == len(s) || r2 == ' ' || r2 == '\'' || r2 == '’') {
		return true
	}
	return unicode.IsLower(r2)
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func hasDigit(s string) bool {
	return strings.IndexAny(s, "0123456789") >= 0
}

func isLetterByte(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func isSpaceOrCloser(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r) || strings.ContainsRune(")]\"'”’»,;:.!?", r)
}

func isOpenQuote(r rune) bool {
	return r == '"' || r == '\'' || r == '“' || r == '‘' || r == '«' || r == '('
}

// isInitial reports a single upper-case letter: J. K. Rowling.
func isInitial(w string) bool {
	r, n := utf8.DecodeRuneInString(w)
	return n == len(w) && unicode.IsUpper(r)
}

// isDottedAcronym reports words with inner full stops: U.S, e.g, a.m, Ph.D.
func isDottedAcronym(w string) bool {
	if !strings.Contains(w, ".") || hasDigit(w) {
		return false
	}
	for part := range strings.SplitSeq(w, ".") {
		if utf8.RuneCountInString(part) > 3 {
			return false
		}
	}
	return true
}

// titles never end a sentence when followed by a full stop and a space.
var titles = setOf("mr", "mrs", "ms", "messrs", "mmes", "dr", "drs", "prof", "st", "sen", "sens", "rep", "reps",
	"gov", "gen", "col", "lt", "maj", "sgt", "capt", "cpl", "pte", "cmdr", "cdr", "adm", "rev", "revd", "hon",
	"mt", "ft", "fr", "pres", "supt", "insp", "det", "cllr", "mme", "mlle", "sra", "sr.", "e.g", "i.e", "eg",
	"ie", "cf", "viz", "approx", "ca", "esp", "incl", "dept", "univ", "assn", "ave", "blvd", "rd")

// numberAbbrevs are followed by numbers: No. 10, pp. 4-5.
var numberAbbrevs = setOf("no", "nos", "vol", "vols", "pp", "p", "fig", "figs", "art", "sec", "ch", "op", "tel", "ext")

// ambiguousAbbrevs may end a sentence: "shares in Apple Inc. The firm".
var ambiguousAbbrevs = setOf("inc", "ltd", "co", "corp", "plc", "llc", "llp", "bros", "jr", "sr", "etc", "al",
	"vs", "v", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "est", "min", "max", "mins", "hrs",
	"dem", "gop", "intl", "govt", "mln", "bn", "m", "km", "kg", "lb", "lbs", "oz", "yr", "yrs")

// starters are common sentence openers: after an ambiguous abbreviation
// they show a new sentence.
var starters = setOf("The", "A", "An", "This", "That", "These", "Those", "It", "Its", "It's", "He", "She",
	"They", "We", "I", "You", "His", "Her", "Their", "Our", "My", "Your", "But", "And", "Or", "So", "Yet",
	"However", "In", "On", "At", "For", "If", "When", "While", "As", "After", "Before", "There", "Here",
	"What", "Why", "How", "Who", "Which", "Where", "Mr", "Mrs", "Ms", "Dr", "Also", "Meanwhile", "Now",
	"Then", "Last", "Next", "One", "Some", "Many", "Most", "Such", "Other", "Despite", "Although", "Both",
	"Earlier", "Later", "Analysts", "Shares", "Sales", "According", "Under", "With", "Without", "During",
	"Since", "Until", "Because", "Although", "Even", "Only", "All", "No", "Not", "Each", "Every", "Another",
	"Officials", "Experts", "People", "Critics", "Figures", "Separately", "Instead", "Overall", "Still",
	"Nevertheless", "Indeed", "Furthermore", "Moreover", "Its", "Their", "Speaking", "Asked", "By", "From",
	"To", "Of", "Over", "About", "Among", "Around", "Following", "Unlike", "Like", "Once", "More", "Few",
	"Several", "Two", "Three", "Four", "Five", "Ten", "First", "Second", "Finally", "Similarly", "Thus")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// isUpperWord reports a word of two or more letters, all upper case (GMT).
func isUpperWord(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsUpper(r) {
			return false
		}
		n++
	}
	return n >= 2
}
