"""Media input and output at the edge of the pipeline: files in, plain arrays out, and back.

Submodules are imported on use (``from cinemuse.io import video``) so that importing
``cinemuse.io`` never loads FFmpeg.
"""
