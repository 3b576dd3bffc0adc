"""The jobs (score, compose, cover, colorize, ...) composed from io, analysis, music and vision."""
