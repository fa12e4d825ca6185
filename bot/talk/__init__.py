"""Live voice conversations: audio frames in, audio frames out, whatever carries them.

`turns` finds where the user starts and stops speaking (Silero VAD), `session` answers
each turn aloud sentence by sentence and stops when talked over, `brain` hears, answers
and stores a turn the way a voice note is, `calls` bounds and admits sessions.
"""
