package summarize

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"blank", "  \n\n \t ", nil},
		{"one without stop", "Just a headline", []string{"Just a headline"}},
		{"two", "The cat sat. The dog ran.", []string{"The cat sat.", "The dog ran."}},
		{"question exclamation", "Is it? Yes! It is.", []string{"Is it?", "Yes!", "It is."}},
		{"interrobang run", "Really?! I doubt it.", []string{"Really?!", "I doubt it."}},
		{"surrounding space", "  First one.   Second one.  ", []string{"First one.", "Second one."}},
		// Abbreviations.
		{"title Mr", "Mr. Smith went to Washington. He stayed.", []string{"Mr. Smith went to Washington.", "He stayed."}},
		{"title Dr Mrs", "Dr. Jones and Mrs. Brown met. They talked.", []string{"Dr. Jones and Mrs. Brown met.", "They talked."}},
		{"title St", "He lives in St. Louis now. It is nice.", []string{"He lives in St. Louis now.", "It is nice."}},
		{"US mid sentence", "The U.S. economy grew. Jobs rose.", []string{"The U.S. economy grew.", "Jobs rose."}},
		{"US end of sentence", "He moved to the U.S. The move was costly.", []string{"He moved to the U.S.", "The move was costly."}},
		{"UK proper noun after", "Sales in the U.K. Government offices fell.", []string{"Sales in the U.K. Government offices fell."}},
		{"Inc mid", "Apple Inc. Chief Tim Cook spoke.", []string{"Apple Inc. Chief Tim Cook spoke."}},
		{"Inc end", "He joined Apple Inc. The firm grew.", []string{"He joined Apple Inc.", "The firm grew."}},
		{"eg ie", "Fruit, e.g. apples, and nuts, i.e. almonds, sold well. Prices rose.", []string{"Fruit, e.g. apples, and nuts, i.e. almonds, sold well.", "Prices rose."}},
		{"e.g. capital", "Some firms, e.g. Google, grew. Others fell.", []string{"Some firms, e.g. Google, grew.", "Others fell."}},
		{"etc lower", "Pens, pencils, etc. are sold. Paper too.", []string{"Pens, pencils, etc. are sold.", "Paper too."}},
		{"etc end", "Pens, pencils, etc. The shop sells them.", []string{"Pens, pencils, etc.", "The shop sells them."}},
		{"No number", "He wore the No. 10 shirt. He scored.", []string{"He wore the No. 10 shirt.", "He scored."}},
		{"a.m. p.m.", "It opens at 9 a.m. and shuts at 5 p.m. Staff leave then.", []string{"It opens at 9 a.m. and shuts at 5 p.m.", "Staff leave then."}},
		{"p.m. zone", "It shuts at 5 p.m. GMT on Fridays.", []string{"It shuts at 5 p.m. GMT on Fridays."}},
		{"Ph.D.", "She has a Ph.D. in physics. She teaches.", []string{"She has a Ph.D. in physics.", "She teaches."}},
		{"et al", "Smith et al. reported it. Others agreed.", []string{"Smith et al. reported it.", "Others agreed."}},
		{"month abbrev", "On Jan. 5 the firm said so. Shares fell.", []string{"On Jan. 5 the firm said so.", "Shares fell."}},
		{"vs", "It was England vs. France. England won.", []string{"It was England vs. France.", "England won."}},
		// Initials.
		{"initials", "J. K. Rowling wrote it. It sold well.", []string{"J. K. Rowling wrote it.", "It sold well."}},
		{"middle initial", "George W. Bush won. Kerry lost.", []string{"George W. Bush won.", "Kerry lost."}},
		{"initial then opener", "He backed Plan B. The rest did not.", []string{"He backed Plan B.", "The rest did not."}},
		{"joined initials", "J.R.R. Tolkien wrote it. It sold.", []string{"J.R.R. Tolkien wrote it.", "It sold."}},
		// Numbers.
		{"decimal money", "Profit rose to $10.9bn in 2004. Sales were flat.", []string{"Profit rose to $10.9bn in 2004.", "Sales were flat."}},
		{"percent", "Inflation hit 3.5% last month. It was 3.2% before.", []string{"Inflation hit 3.5% last month.", "It was 3.2% before."}},
		{"number starts next", "He was born in 1950. 2004 was his best year.", []string{"He was born in 1950.", "2004 was his best year."}},
		{"version number", "It runs Windows 3.1. It is old.", []string{"It runs Windows 3.1.", "It is old."}},
		{"score", "Chelsea won 2-1. Mourinho was pleased.", []string{"Chelsea won 2-1.", "Mourinho was pleased."}},
		// Quotes.
		{"end inside quotes", `He said: "We are done." Then he left.`, []string{`He said: "We are done."`, "Then he left."}},
		{"quote then said", `"We are done," he said. "It is over."`, []string{`"We are done," he said.`, `"It is over."`}},
		{"exclamation in quote mid sentence", `"Go!" he shouted. They went.`, []string{`"Go!" he shouted.`, "They went."}},
		{"question in quote", `"Why?" she asked. Nobody knew.`, []string{`"Why?" she asked.`, "Nobody knew."}},
		{"two quoted sentences", `"It suggests growth," said Rick. "We are not getting the boost." "The economy is moderate," said Ken.`,
			[]string{`"It suggests growth," said Rick.`, `"We are not getting the boost."`, `"The economy is moderate," said Ken.`}},
		{"quote spanning sentences", `"If it drops I would buy. This is a big firm." Critics disagreed.`, []string{`"If it drops I would buy.`, `This is a big firm."`, "Critics disagreed."}},
		{"curly quotes", "He said “it is over.” Then he left.", []string{"He said “it is over.”", "Then he left."}},
		{"single quotes", "He called it 'a disgrace.' Fans agreed.", []string{"He called it 'a disgrace.'", "Fans agreed."}},
		{"apostrophe s", "It was the firm's. Others disagreed.", []string{"It was the firm's.", "Others disagreed."}},
		{"brackets", "Profits rose (see below.) Sales fell.", []string{"Profits rose (see below.)", "Sales fell."}},
		{"parenthetical sentence", "Sales fell. (Profits rose.) Shares held.", []string{"Sales fell.", "(Profits rose.)", "Shares held."}},
		// Ellipses.
		{"ellipsis lower", "A recovery... much patchier than hoped. Fine.", []string{"A recovery... much patchier than hoped.", "Fine."}},
		{"ellipsis upper", "It is a very murky area... There will be trouble.", []string{"It is a very murky area...", "There will be trouble."}},
		{"unicode ellipsis", "Wait… Then go.", []string{"Wait…", "Then go."}},
		{"ellipsis no space", "Far enough ...Now the real talks start.", []string{"Far enough ...Now the real talks start."}},
		{"ellipsis at end", "And then...", []string{"And then..."}},
		{"four dots", "It ended.... The end.", []string{"It ended....", "The end."}},
		// Joined without a space.
		{"bn.For", "Sales rose 2% to $11.1bn from $10.9bn.For the full-year, profit was $3.36bn.",
			[]string{"Sales rose 2% to $11.1bn from $10.9bn.", "For the full-year, profit was $3.36bn."}},
		{"lower.Upper", "That is always dangerous.The man clearly has a plan.", []string{"That is always dangerous.", "The man clearly has a plan."}},
		{"joined name", "Victims of the tsunami.Steve will be writing.", []string{"Victims of the tsunami.", "Steve will be writing."}},
		{"joined after digits", "It grew in 2003.Analysts were surprised.", []string{"It grew in 2003.", "Analysts were surprised."}},
		{"joined after bracket", "It was close to a deal (SEC).However, it is not.", []string{"It was close to a deal (SEC).", "However, it is not."}},
		{"joined after percent", "It rose 8%.Its rival fell.", []string{"It rose 8%.", "Its rival fell."}},
		{"joined capitalised left with opener", "It had losses at AOL.The firm grew.", []string{"It had losses at AOL.", "The firm grew."}},
		{"joined quote", `He said it was "over."The team left.`, []string{`He said it was "over."`, "The team left."}},
		{"joined opening quote", `The team left."We lost," he said.`, []string{"The team left.", `"We lost," he said.`}},
		{"joined I", "It was sad.I cried.", []string{"It was sad.", "I cried."}},
		{"joined question", "Why not?The answer is money.", []string{"Why not?", "The answer is money."}},
		{"not U.S.", "The U.S.Army said so.", []string{"The U.S.Army said so."}},
		{"US joined opener", "He went to the U.S.The trip was long.", []string{"He went to the U.S.", "The trip was long."}},
		{"not e.g.", "Fruit, e.g.Apples, sold.", []string{"Fruit, e.g.Apples, sold."}},
		{"not St.Louis", "He flew to St.Louis on Monday.", []string{"He flew to St.Louis on Monday."}},
		{"not Mr.Smith", "We met Mr.Smith there.", []string{"We met Mr.Smith there."}},
		{"not brand", "Firms such as TalkTalk and One.Tel route calls.", []string{"Firms such as TalkTalk and One.Tel route calls."}},
		{"not variant", "It is called Bagle.AT and Bagle.BB by experts.", []string{"It is called Bagle.AT and Bagle.BB by experts."}},
		{"not domain", "The editor of fansite Halo.Bungie.Org, said so.", []string{"The editor of fansite Halo.Bungie.Org, said so."}},
		{"not url", "See www.bbc.co.uk/News for more. Or not.", []string{"See www.bbc.co.uk/News for more.", "Or not."}},
		{"not url scheme", "Visit http://example.com/Page.Html today.", []string{"Visit http://example.com/Page.Html today."}},
		{"not decimal", "It rose 3.5 points.", []string{"It rose 3.5 points."}},
		{"not file name", "Open readme.TXT now.", []string{"Open readme.TXT now."}},
		// Lines and lists.
		{"paragraphs", "First para ends here.\n\nSecond para. Another one.", []string{"First para ends here.", "Second para.", "Another one."}},
		{"heading", "Ad sales boost Time Warner profit\n\nQuarterly profits at TimeWarner jumped 76%.", []string{"Ad sales boost Time Warner profit", "Quarterly profits at TimeWarner jumped 76%."}},
		{"heading single newline", "Ad sales boost profit\nQuarterly profits jumped.", []string{"Ad sales boost profit", "Quarterly profits jumped."}},
		{"hard wrap", "The budget includes an increase in spending on primary\neducation and duty cuts on capital goods. It passed.",
			[]string{"The budget includes an increase in spending on primary\neducation and duty cuts on capital goods.", "It passed."}},
		{"hard wrap capital", "The budget includes an increase in spending on primary schools in\nIndia and duty cuts. It passed.",
			[]string{"The budget includes an increase in spending on primary schools in\nIndia and duty cuts.", "It passed."}},
		{"dash list", "The budget includes:\n- Increased spending on education\n- Duty cuts on capital goods\nIt passed.",
			[]string{"The budget includes:", "Increased spending on education", "Duty cuts on capital goods", "It passed."}},
		{"star list", "Points:\n* one thing\n* another thing", []string{"Points:", "one thing", "another thing"}},
		{"bullet list", "• Alpha rises. Beta falls.\n• Gamma holds", []string{"Alpha rises.", "Beta falls.", "Gamma holds"}},
		{"numbered list", "Steps:\n1. Open the box\n2. Take it out\n10) Done", []string{"Steps:", "Open the box", "Take it out", "Done"}},
		{"lettered list", "Options:\na) stay\n(b) go", []string{"Options:", "stay", "go"}},
		{"list item continues lower", "- a long item that\nwraps here\n- next", []string{"a long item that", "wraps here", "next"}},
		{"line ending with colon", "He said:\nWe will win.", []string{"He said:", "We will win."}},
		{"crlf", "One line.\r\nTwo line.", []string{"One line.", "Two line."}},
		{"stray punctuation", "It ended. . Then more.", []string{"It ended. .", "Then more."}},
		{"not a list", "-5 degrees today. Cold.", []string{"-5 degrees today.", "Cold."}},
		{"year not a list", "2004. It was a good year.", []string{"2004.", "It was a good year."}},
		{"unicode text", "Zürich gewann 2:1. Die Fans jubelten.", []string{"Zürich gewann 2:1.", "Die Fans jubelten."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.in)
			var texts []string
			for _, s := range got {
				texts = append(texts, s.Text)
				if tt.in[s.Start:s.End] != s.Text {
					t.Errorf("offsets [%d:%d] give %q, Text is %q", s.Start, s.End, tt.in[s.Start:s.End], s.Text)
				}
			}
			if !slices.Equal(texts, tt.want) {
				t.Errorf("Split(%q)\n got %q\nwant %q", tt.in, texts, tt.want)
			}
		})
	}
}

func TestSplitParagraphs(t *testing.T) {
	in := "Title line\n\nFirst para one. First para two.\n\nSecond para.\n- item\n"
	got := Split(in)
	type pi struct {
		para      int
		start     bool
		list      bool
		firstWord string
	}
	want := []pi{{0, true, false, "Title"}, {1, true, false, "First"}, {1, false, false, "First"}, {2, true, false, "Second"}, {2, false, true, "item"}}
	if len(got) != len(want) {
		t.Fatalf("got %d sentences, want %d: %+v", len(got), len(want), got)
	}
	for i, s := range got {
		g := pi{s.Paragraph, s.ParaStart, s.ListItem, strings.Fields(s.Text)[0]}
		if g != want[i] {
			t.Errorf("sentence %d %q: got %+v, want %+v", i, s.Text, g, want[i])
		}
	}
}

// TestSplitOffsetsCover checks on arbitrary input that sentences are in
// order, do not overlap, and lose no letters.
func TestSplitOffsetsCover(t *testing.T) {
	inputs := []string{
		"a.b.c. D.E.F. g? H! ...",
		"\"\"\"...\n\n- \n* x\n1.\n",
		"Mr. Mr. Mr. St.St.St. The. The.The",
		"“Quote.” ‘Other.’ (Yes.) [No.]",
		"x" + strings.Repeat(". Y", 50),
	}
	for _, in := range inputs {
		prev := 0
		letters := 0
		for _, s := range Split(in) {
			if s.Start < prev || s.End < s.Start || in[s.Start:s.End] != s.Text {
				t.Errorf("%q: bad sentence %+v after offset %d", in, s, prev)
			}
			prev = s.End
			letters += countLetters(s.Text)
		}
		if want := countLetters(in); letters != want {
			t.Errorf("%q: sentences hold %d letters, input %d", in, letters, want)
		}
	}
}

func countLetters(s string) int {
	n := 0
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			n++
		}
	}
	return n
}
