// Deterministic list of parity-test inputs for the USE-Lite encoder.
//
// The list deliberately mixes ordinary news prose with tokenizer edge cases:
// unicode (accents, CJK, RTL, full-width forms that NFKC folds), emoji,
// digits and times (the vocabulary has odd scores for ":30" and ":00"),
// URLs, e-mail addresses, mixed case, punctuation runs, whitespace other than
// U+0020, single characters, and texts longer than the 128-token clip length.
"use strict";

const news = [
  "The central bank raised interest rates by a quarter point on Wednesday.",
  "Stocks fell sharply in early trading as investors weighed new inflation data.",
  "The prime minister announced a cabinet reshuffle after weeks of speculation.",
  "Heavy rain caused flooding across the northern provinces, displacing thousands.",
  "The company reported record quarterly profits, beating analyst expectations.",
  "Scientists have discovered a new species of frog in the Amazon rainforest.",
  "The championship final went to penalties after a goalless draw.",
  "Lawmakers passed a bill that would overhaul the country's immigration system.",
  "Oil prices climbed to their highest level in six months amid supply concerns.",
  "A magnitude 6.2 earthquake struck off the coast early on Sunday morning.",
  "The tech giant unveiled its latest smartphone at an event in California.",
  "Negotiators reached a tentative agreement to end the three-week strike.",
  "The film won the top prize at the festival, surprising many critics.",
  "Officials said the wildfire was 40 percent contained by Tuesday evening.",
  "The minister resigned amid allegations of misuse of public funds.",
  "Researchers say the vaccine was 94% effective in preventing severe illness.",
  "Unemployment dropped to 3.5 percent, the lowest level in half a century.",
  "The startup raised $120 million in a funding round led by venture capitalists.",
  "Thousands marched through the capital to protest against the new pension law.",
  "The spacecraft successfully entered orbit around Mars after a seven-month journey.",
  "Police arrested two suspects in connection with the museum robbery.",
  "The airline cancelled hundreds of flights because of a software outage.",
  "Her debut novel topped the bestseller list for twelve consecutive weeks.",
  "The European Union agreed on new rules to regulate artificial intelligence.",
  "Doctors warn that the flu season could be worse than usual this winter.",
  "The merger would create the largest steelmaker in the world.",
  "A court ruled that the election results must be recounted in three districts.",
  "The striker scored twice as United won 3-1 at home on Saturday.",
  "Housing starts rose 5.7% in March, according to government figures.",
  "The president will travel to Asia next week for a series of summits.",
  "Shares of the chipmaker surged 12% after it raised its revenue forecast.",
  "The hurricane is expected to make landfall on Thursday as a Category 4 storm.",
  "Farmers are struggling with the worst drought in decades.",
  "The band announced a world tour to celebrate its 25th anniversary.",
  "Regulators fined the bank $2.1bn for failing to prevent money laundering.",
  "The city council voted to ban cars from the historic centre.",
  "Archaeologists unearthed a Roman villa beneath a car park.",
  "The tennis star withdrew from the tournament with a wrist injury.",
  "Inflation eased for the third straight month in November.",
  "Workers at the plant voted to join a union for the first time.",
  "Apple, Google and Microsoft all reported earnings this week.",
  "The UN Security Council held an emergency meeting on the crisis.",
  "NASA's James Webb telescope captured images of a distant galaxy.",
  "Bitcoin rose above $60,000 for the first time since April.",
  "The government plans to build 300,000 new homes a year.",
  "Opposition leaders called for an independent inquiry into the scandal.",
  "The ceasefire appeared to be holding on Monday despite sporadic clashes.",
  "Electric vehicle sales doubled compared with the same period last year.",
  "The museum will return the looted artefacts to their country of origin.",
  "Why did the markets react so strongly to the jobs report?",
  "Breaking: explosion reported near the port; no casualties so far.",
  "Q3 GDP grew at an annualized rate of 4.9%.",
  "BREAKING NEWS: PARLIAMENT DISSOLVED AHEAD OF SNAP ELECTION",
  "the quick brown fox jumps over the lazy dog",
  "Dow Jones Industrial Average closes at 34,500.12 (+0.8%).",
  "Kick-off is at 7:30 pm; doors open at 6:00.",
  "The meeting is scheduled for 10:00 on 2024-03-15.",
  "Flight BA2490 departs at 14:30 from Terminal 5.",
  "Call +1 (555) 010-9999 or e-mail press@example.com for details.",
  "Read more at https://www.example.com/news/2024/03/15/markets-rally?ref=home#top",
  "See http://example.org and ftp://files.example.net/data.csv for the dataset.",
  "Rating: ★★★★☆ — \"a triumph,\" says one reviewer.",
  "São Paulo, Zürich, Kraków and Reykjavík hosted the summit.",
  "Le président français a rencontré la chancelière allemande à Berlin.",
  "El gobierno español aprobó el presupuesto para el año próximo.",
  "Die Regierung hat neue Maßnahmen gegen die Inflation beschlossen.",
  "Москва и Киев обменялись заявлениями в понедельник.",
  "東京株式市場は日経平均株価が続伸した。",
  "北京时间周三，国家统计局发布了最新数据。",
  "서울에서 열린 회담에서 양국 정상은 협력을 약속했다.",
  "القمة العربية تنعقد في الرياض الأسبوع المقبل",
  "שר האוצר הציג את התקציב החדש",
  "भारत की अर्थव्यवस्था तेजी से बढ़ रही है।",
  "Ελλάδα: νέα μέτρα για την ακρίβεια",
  "Full-width: ＡＢＣ　ｄｅｆ　１２３！",
  "Ligatures ﬁnance ﬂow and ½ cup, ① circled, ™ mark, ㎏ unit.",
  "Superscripts x² + y³ = z⁴ and subscripts H₂O.",
  "Combining: e\u0301 vs é, A\u030A vs Å.",
  "Zero\u200Bwidth\u200Bspace and soft\u00ADhyphen.",
  "Non\u00A0breaking\u00A0spaces\u00A0here.",
  "Tabs\tand\nnewlines\r\nin the middle.",
  "Emoji 😀 news 📈 markets 🚀 to the moon 🌕",
  "👍",
  "🇺🇸🇬🇧🇫🇷 flags and 👨‍👩‍👧‍👦 family ZWJ sequence",
  "Skin tones 👋🏽👋🏿 and hearts ❤️💔",
  "Math symbols ∑∫√∞≈≠≤≥ and arrows →←↑↓",
  "Currency: €100, £50, ¥2000, ₹500, ₿0.5",
  "!!!",
  "?!?!?!",
  "...",
  "—",
  "Wait... what?!! No way!!!",
  "*** URGENT *** ### UPDATE ### >>> READ <<<",
  "(((nested))) [[[brackets]]] {{{braces}}}",
  "'single' \"double\" `backtick` «guillemets» „low-high“",
  "a",
  "A",
  "I",
  "x",
  "7",
  "0",
  ".",
  ",",
  "?",
  "é",
  "中",
  "€",
  " ",
  "  ",
  " leading space",
  "trailing space ",
  "double  space   triple",
  "\ttab-leading",
  "1234567890",
  "3.14159265358979",
  "1,000,000",
  "2023-12-31T23:59:59Z",
  "v1.2.3-beta+build.45",
  "#hashtag @mention $TICKER",
  "COVID-19 SARS-CoV-2 H1N1 mRNA-1273",
  "iPhone iPad macOS eBay YouTube McDonald's",
  "camelCaseIdentifier snake_case_identifier kebab-case-identifier",
  "ALL CAPS HEADLINE WITH NUMBERS 2024",
  "MiXeD CaSe TeXt LoOkS lIkE tHiS",
  "don't won't can't shouldn't y'all'd've",
  "U.S. U.K. E.U. N.A.T.O. Ph.D.",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "zzzzzzzzzzzzzzzzzzzz",
  "supercalifragilisticexpialidocious",
  "pneumonoultramicroscopicsilicovolcanoconiosis",
  "<html><body><p>Hello &amp; welcome</p></body></html>",
  "{\"key\": \"value\", \"n\": 42}",
  "SELECT * FROM news WHERE id = 1;",
  "C:\\Users\\news\\file.txt and /usr/local/bin",
  "~!@#$%^&*()_+-=[]{}|;':\",./<>?",
  "\u2581already has metaspace",
  "\uFFFD replacement char",
  "<s> </s> extra_token_id_1",
];

const shortPhrases = [
  "hello world", "good morning", "thank you", "climate change", "stock market",
  "breaking news", "world cup", "interest rates", "supply chain", "artificial intelligence",
  "public health", "foreign policy", "real estate", "oil prices", "trade war",
];

function longParagraph(seed, sentences) {
  const out = [];
  for (let i = 0; i < sentences; i++) {
    out.push(news[(seed * 7 + i * 13) % 50]);
  }
  return out.join(" ");
}

function build() {
  const inputs = [];
  for (const s of news) inputs.push(s);
  for (const s of shortPhrases) inputs.push(s);
  // Case variants of news sentences.
  for (let i = 0; i < 40; i++) {
    const s = news[i];
    inputs.push(i % 2 === 0 ? s.toUpperCase() : s.toLowerCase());
  }
  // Punctuation and spacing variants.
  for (let i = 0; i < 30; i++) {
    const s = news[(i * 3) % 50];
    const v = [
      s.replace(/ /g, "  "),
      s.replace(/\./g, "!!!"),
      s.replace(/ /g, ""),
      s + " " + s.split(" ").reverse().join(" "),
      "\"" + s + "\" — " + String(1990 + i),
      s.replace(/[aeiou]/g, ""),
    ][i % 6];
    inputs.push(v);
  }
  // Numbers, times and URLs with varying digits.
  for (let i = 0; i < 20; i++) {
    inputs.push(`Update ${i}: price ${(i * 37.25).toFixed(2)} at ${String(i % 24).padStart(2, "0")}:${i % 2 ? "30" : "00"}, see https://news.example.com/a/${1000 + i * 17}`);
  }
  // Long paragraphs: many exceed the 128-token clip length.
  for (let i = 0; i < 30; i++) {
    inputs.push(longParagraph(i, 2 + (i % 15)));
  }
  // Concatenated word salad of increasing length, 1..60 words.
  const words = news.join(" ").split(" ");
  for (let n = 1; n <= 60; n += 3) {
    inputs.push(words.slice(n, n + n).join(" "));
  }
  // Very long single-token-ish strings.
  inputs.push("x".repeat(300));
  inputs.push("ab".repeat(200));
  inputs.push("😀".repeat(50));
  inputs.push(Array.from({ length: 200 }, (_, i) => String(i)).join(" "));
  inputs.push(Array.from({ length: 150 }, (_, i) => "word" + i).join(", "));
  // Empty input: the reference only handles it when it is not the last item
  // of a batch (see generate.js); the expected embedding is tanh(bias) normalised.
  inputs.push("");
  inputs.push("Markets rallied; the S&P 500 rose 1.2% while the Nasdaq gained 2.3% by 16:00 ET.");
  inputs.push("Mr. O'Neill (CEO) said: \"We're on track\" — shares +3%.");
  return inputs;
}

module.exports = { build };
