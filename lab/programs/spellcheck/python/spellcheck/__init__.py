"""A small spell checker: the words of a text not in a dictionary, each with
its closest dictionary word. Pure Python, with a Rust port of its hot
function beside it (`spellcheck._native`), not yet used."""

from spellcheck.pure import closest, edit_distance, tokenize

__all__ = ["closest", "edit_distance", "tokenize"]
