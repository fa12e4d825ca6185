"""Speech to text: the Whisper engines and the guard against words nobody said."""
