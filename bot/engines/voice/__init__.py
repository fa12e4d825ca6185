"""Text to speech: Piper, espeak-ng and edge-tts, behind one router for /voice."""
