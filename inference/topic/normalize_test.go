package topic

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "Stocks rise on Friday", "Stocks rise on Friday"},
		{"apostrophe with the ampersand's space", "Messier #39;s lawyer", "Messier's lawyer"},
		{"proper numeric entity", "Messier&#39;s lawyer", "Messier's lawyer"},
		{"escaped dollar", `fined \$1.35 million`, "fined $1.35 million"},
		{"backslash line break", `Wall Street's dwindling\band of`, "Wall Street's dwindling band of"},
		{"bare quot", `fuels.  quot;I am an expert, quot; he said`, `fuels. "I am an expert," he said`},
		{"bare amp", "AT amp;T and Aviation  amp; Aerospace", "AT&T and Aviation & Aerospace"},
		{"bare dollar code", "costs  #36;40", "costs $40"},
		{"cp1252 dash", "struck again  #151; this time", "struck again — this time"},
		{"cp1252 apostrophe", "Apple #146;s DVD", "Apple's DVD"},
		{"html tags stripped", "BAZARAK, Afghanistan&lt;br&gt;Like virtually", "BAZARAK, Afghanistan Like virtually"},
		{"font tag with attributes", `news &lt;FONT face="verdana" size="-2"&gt;here&lt;/FONT&gt;`, "news here"},
		{"ticker kept", "Lowe's Cos. &lt;LOW.N&gt;, the retailer", "Lowe's Cos. <LOW.N>, the retailer"},
		{"double escaped", "a &amp;lt;b&amp;gt; c", "a c"},
		{"curly quotes", "\u201cHello\u201d it\u2019s", `"Hello" it's`},
		{"whitespace", "  a\t\tb\n c  ", "a b c"},
		{"control characters", "a\x00b\x07c", "abc"},
		{"hash without entity", "We're #1 today", "We're #1 today"},
		{"named word without space is text", "the squot; thing", "the squot; thing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("not idempotent: Normalize(%q) = %q", got, again)
			}
		})
	}
}

func TestArticleText(t *testing.T) {
	tests := []struct{ title, desc, want string }{
		{"Title", "Body text.", "Title . Body text."},
		{"", "Body #39;s", "Body's"},
		{"Only title", "  ", "Only title"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := ArticleText(tt.title, tt.desc); got != tt.want {
			t.Errorf("ArticleText(%q, %q) = %q, want %q", tt.title, tt.desc, got, tt.want)
		}
	}
}

func TestDedupKey(t *testing.T) {
	a := DedupKey("Messier #39;s lawyer,  said  Tuesday.")
	b := DedupKey("MESSIER's Lawyer said Tuesday")
	if a != b || a != "messier s lawyer said tuesday" {
		t.Errorf("DedupKey: %q and %q, want both %q", a, b, "messier s lawyer said tuesday")
	}
}
