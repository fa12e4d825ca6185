"""Engines by kind: speech/ (speech to text), chat/ (language models), voice/ (text to
speech), vision/ (photo to words); one module per library. `registry` builds the
configured ones by name; `runtime` is what the local ones share.
"""
