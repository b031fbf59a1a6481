-- Summaries of ingested articles: the background ingest jobs (package
-- ingest) summarize each article they record, with the server's default
-- summarizer and length, in the same transaction as the article.
-- summary_version names the summarizer (summarize.Summary.Version), so
-- summaries by an older one can be told apart. Both stay NULL for
-- articles posted to /classify_news, whose latency is kept for
-- classification alone, and for articles whose text has no sentence to
-- summarize. Mirrors the sqlite file.
ALTER TABLE articles ADD COLUMN summary TEXT;
ALTER TABLE articles ADD COLUMN summary_version TEXT;
