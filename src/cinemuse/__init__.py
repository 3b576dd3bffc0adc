"""cinemuse: offline creative tools for video, photos and music.

Importing the package is cheap on purpose: every job lives in its own module and
pulls in its heavy dependencies (PyAV, librosa, onnxruntime, ...) only when used.
"""

__version__ = "0.1.0"
