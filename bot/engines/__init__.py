"""Engines: speech to text, photo to words, language model, text to speech."""
