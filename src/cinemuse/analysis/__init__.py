"""Measure media: video (cuts, motion, colour, visual beats) and audio (tempo, key, loudness, mood)."""
