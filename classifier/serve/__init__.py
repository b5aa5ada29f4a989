"""`classifier serve`: an Annif-compatible REST API, a web page and a review queue over loaded bundles.

`projects` and `queue` need nothing beyond the plain install; `app` needs the serve extra (FastAPI and
uvicorn), and is imported only when the server starts.
"""
