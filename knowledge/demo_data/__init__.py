"""Demo knowledge base data (articles.jsonl); a package so installs ship it."""
