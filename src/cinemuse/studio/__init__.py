"""``cinemuse studio``: every job in a local web page, over one HTTP API under ``/api``.

    server.py    the Studio (token, private folder, queue) and its FastAPI app: page + API
    security.py  the checks every request passes first (Host, Origin, token, size) and headers
    uploads.py   multipart bodies streamed into a job's folder; checks that files are media
    jobs.py      the queue and the worker processes that run the jobs
    worker.py    the loop inside a worker process (models stay loaded between jobs)
    kinds.py     the jobs it runs: inputs, options, and the calls into cinemuse's API
    static/      the page: plain HTML, CSS and JavaScript, no build step, nothing from elsewhere
"""

DEFAULT_PORT = 8765
DEFAULT_MAX_UPLOAD_MB = 4096
