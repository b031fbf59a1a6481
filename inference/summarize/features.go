package summarize

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FeatureNames lists, in order, the sentence features the learned scorer
// reads. A scorer file names the features it was trained on and must
// match this list.
var FeatureNames = []string{
	"pos_rel",       // position / (sentences − 1)
	"pos_inv",       // 1 / (position + 1)
	"first",         // first candidate sentence
	"para_start",    // first sentence of its paragraph
	"para_inv",      // 1 / (paragraph + 1)
	"log_words",     // log(1 + words)
	"short",         // fewer than 8 words
	"long",          // more than 35 words
	"cen_cos",       // cosine to the centroid of the sentences
	"cen_z",         // … standardised within the article
	"cen_rank",      // … rank / candidates (0 = most central)
	"has_title",     // the article has a title
	"title_cos",     // cosine to the title (0 without one)
	"title_z",       // … standardised within the article
	"title_rank",    // … rank / candidates
	"emb_pr",        // PageRank on embedding similarities × candidates
	"emb_pr_rank",   // … rank / candidates
	"lead_cos",      // cosine to the first embedded candidate sentence
	"max_prev_cos",  // highest cosine to an earlier sentence
	"tr_lex",        // lexical TextRank × sentences
	"tfidf_cos",     // TF-IDF cosine to the whole article
	"title_overlap", // share of the title's content words in the sentence
	"quote",         // contains a quotation mark
	"number",        // contains a digit
	"log_n",         // log(candidates)
	"list_item",     // from a bulleted line
	"freq_sum",      // sum of the article frequencies (÷ the highest) of its content words
	"freq_mean",     // … per content word
	"freq_rank",     // rank of freq_sum / candidates
	"words_rel",     // words / mean words of the candidates
	"lead_k",        // 1 / (rank among candidates + 1)
	"cap_share",     // share of words after the first that are capitalised (names)
	"question",      // ends with a question mark
	"pron_start",    // opens with a pronoun or connective that needs context
	"stop_share",    // share of stop words
}

// Features computes FeatureNames for each sentence of an embedded
// document (rows of non-candidates are zero).
func Features(d *Document) [][]float64 {
	n := len(d.Sentences)
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, len(FeatureNames))
	}
	if n == 0 {
		return out
	}
	if d.Emb == nil {
		// Not embedded (a lexical scorer): embedding features are 0.
		d.Emb = make([][]float32, n)
	}
	ok := d.Candidate
	eok := embeddedMask(d)
	nc, ne, first, lead := 0, 0, -1, -1
	centroid := make([]float32, 0)
	for i := range n {
		if ok[i] && first < 0 {
			first = i
		}
		if ok[i] {
			nc++
		}
		if !eok[i] {
			continue
		}
		ne++
		if lead < 0 {
			lead = i
		}
		if d.Emb[i] == nil {
			continue
		}
		if len(centroid) == 0 {
			centroid = make([]float32, len(d.Emb[i]))
		}
		for k, v := range d.Emb[i] {
			centroid[k] += v
		}
	}
	var norm float64
	for _, v := range centroid {
		norm += float64(v) * float64(v)
	}
	if norm > 0 {
		s := float32(1 / math.Sqrt(norm))
		for k := range centroid {
			centroid[k] *= s
		}
	}
	cen := make([]float64, n)
	title := make([]float64, n)
	leadCos := make([]float64, n)
	maxPrev := make([]float64, n)
	sims := d.simMatrix()
	for i := range n {
		if !eok[i] {
			continue
		}
		cen[i] = dot(d.Emb[i], centroid)
		title[i] = dot(d.Emb[i], d.TitleEmb)
		if lead >= 0 {
			leadCos[i] = dot(d.Emb[i], d.Emb[lead])
		}
		for j := range i {
			if eok[j] {
				maxPrev[i] = max(maxPrev[i], sims[i][j])
			}
		}
	}
	// Embedding graph: keep positive similarities among embedded
	// candidates.
	w := make([][]float64, n)
	for i := range n {
		w[i] = make([]float64, n)
		for j := range n {
			if i != j && eok[i] && eok[j] && sims[i][j] > 0 {
				w[i][j] = sims[i][j]
			}
		}
	}
	pr := pageRank(w, 0.85)
	for i := range pr {
		pr[i] *= float64(max(ne, 1))
	}
	cenZ, titleZ := zscores(cen, eok), zscores(title, eok)
	cenR, titleR, prR := ranks(cen, eok), ranks(title, eok), ranks(pr, eok)
	tr := textRankScores(d)
	tfidf := tfidfToDoc(d)
	freqSum, freqMean := wordFreqScores(d)
	freqR := ranks(freqSum, ok)
	titleWords := contentSet(Tokens(d.Title, RougeOptions{}))
	hasTitle := 0.0
	if d.TitleEmb != nil {
		hasTitle = 1
	}
	meanWords := 0.0
	for i := range d.Sentences {
		if ok[i] {
			meanWords += float64(len(d.Words[i]))
		}
	}
	meanWords = max(meanWords/float64(max(nc, 1)), 1)
	k := 0
	for i, s := range d.Sentences {
		if !ok[i] {
			continue
		}
		k++
		words := float64(len(d.Words[i]))
		overlap := 0.0
		if len(titleWords) > 0 {
			seen := map[string]bool{}
			for _, t := range d.Words[i] {
				if titleWords[t] && !seen[t] {
					seen[t] = true
					overlap++
				}
			}
			overlap /= float64(len(titleWords))
		}
		f := out[i]
		f[0] = float64(i) / float64(max(n-1, 1))
		f[1] = 1 / float64(i+1)
		f[2] = b2f(i == first)
		f[3] = b2f(s.ParaStart)
		f[4] = 1 / float64(s.Paragraph+1)
		f[5] = math.Log1p(words)
		f[6] = b2f(words < 8)
		f[7] = b2f(words > 35)
		f[8] = cen[i]
		f[9] = cenZ[i]
		f[10] = cenR[i]
		f[11] = hasTitle
		f[12] = title[i]
		f[13] = titleZ[i]
		f[14] = titleR[i] * hasTitle
		f[15] = pr[i]
		f[16] = prR[i]
		f[17] = leadCos[i]
		f[18] = maxPrev[i]
		f[19] = tr[i]
		f[20] = tfidf[i]
		f[21] = overlap
		f[22] = b2f(strings.ContainsAny(s.Text, "\"“”"))
		f[23] = b2f(strings.ContainsAny(s.Text, "0123456789"))
		f[24] = math.Log(float64(max(nc, 1)))
		f[25] = b2f(s.ListItem)
		f[26] = freqSum[i]
		f[27] = freqMean[i]
		f[28] = freqR[i]
		f[29] = words / meanWords
		f[30] = 1 / float64(k)
		f[31] = capShare(s.Text)
		f[32] = b2f(strings.HasSuffix(strings.TrimRight(s.Text, "\"'”’) "), "?"))
		f[33] = b2f(pronStart(d.Words[i]))
		f[34] = stopShare(d.Words[i])
	}
	return out
}

// embeddedMask marks the candidates whose embedding features are
// computed: those with an embedding. A cascade embeds only a shortlist,
// and centrality, ranks and z-scores must then be taken among the
// shortlist rather than diluted by zeros. A document with no embedding
// at all (a lexical scorer) keeps every candidate: its scorer was trained
// on the rank features of all-zero similarities, i.e. position ranks.
func embeddedMask(d *Document) []bool {
	has := false
	for i, e := range d.Emb {
		if e != nil && d.Candidate[i] {
			has = true
			break
		}
	}
	if !has {
		return d.Candidate
	}
	m := make([]bool, len(d.Candidate))
	for i, e := range d.Emb {
		m[i] = d.Candidate[i] && e != nil
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func contentSet(words []string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		if !stopwords[w] {
			m[w] = true
		}
	}
	return m
}

// tfidfToDoc returns each sentence's TF-IDF cosine to the whole article,
// with IDF over the article's sentences.
func tfidfToDoc(d *Document) []float64 {
	n := len(d.Sentences)
	df := map[string]int{}
	tfs := make([]map[string]float64, n)
	for i, ws := range d.Words {
		tfs[i] = map[string]float64{}
		for _, w := range ws {
			if !stopwords[w] {
				tfs[i][w]++
			}
		}
		for w := range tfs[i] {
			df[w]++
		}
	}
	idf := func(w string) float64 { return math.Log(float64(n+1)/float64(df[w]+1)) + 1 }
	doc := map[string]float64{}
	for _, tf := range tfs {
		for w, c := range tf {
			doc[w] += c
		}
	}
	var docNorm float64
	for w, c := range doc {
		v := c * idf(w)
		docNorm += v * v
	}
	out := make([]float64, n)
	for i, tf := range tfs {
		var dotp, norm float64
		for w, c := range tf {
			v := c * idf(w)
			norm += v * v
			dotp += v * doc[w] * idf(w)
		}
		if norm > 0 && docNorm > 0 {
			out[i] = dotp / math.Sqrt(norm*docNorm)
		}
	}
	return out
}

// wordFreqScores is the classic frequency summarizer's sentence score:
// each content word weighs its count in the article divided by the
// highest count; a sentence scores the sum (and the mean) over its words.
func wordFreqScores(d *Document) (sum, mean []float64) {
	freq := map[string]float64{}
	top := 0.0
	for _, ws := range d.Words {
		for _, w := range ws {
			if !stopwords[w] {
				freq[w]++
				top = max(top, freq[w])
			}
		}
	}
	sum = make([]float64, len(d.Words))
	mean = make([]float64, len(d.Words))
	if top == 0 {
		return sum, mean
	}
	for i, ws := range d.Words {
		n := 0
		for _, w := range ws {
			if !stopwords[w] {
				sum[i] += freq[w] / top
				n++
			}
		}
		if n > 0 {
			mean[i] = sum[i] / float64(n)
		}
	}
	return sum, mean
}

// capShare is the share of a sentence's words, after the first, that
// start with a capital letter: names, places and organisations, which
// summaries keep.
func capShare(text string) float64 {
	fields := strings.Fields(text)
	if len(fields) < 2 {
		return 0
	}
	caps, n := 0, 0
	for _, w := range fields[1:] {
		w = strings.TrimLeft(w, "\"'“‘([")
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsLetter(r) {
			continue
		}
		n++
		if unicode.IsUpper(r) {
			caps++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(caps) / float64(n)
}

// contextOpeners are first words that point back to an earlier sentence:
// such a sentence rarely stands alone in a summary.
var contextOpeners = setOf("he", "she", "it", "they", "this", "that", "these", "those", "but", "and", "so",
	"however", "also", "there", "his", "her", "their", "its", "then", "still", "yet", "meanwhile", "instead")

func pronStart(words []string) bool { return len(words) > 0 && contextOpeners[words[0]] }

func stopShare(words []string) float64 {
	if len(words) == 0 {
		return 0
	}
	n := 0
	for _, w := range words {
		if stopwords[w] {
			n++
		}
	}
	return float64(n) / float64(len(words))
}
