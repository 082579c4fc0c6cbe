"""Lexicon files of the knowledge search (plain text, one entry per line); a package so installs ship them."""
