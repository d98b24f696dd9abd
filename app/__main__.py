"""`python -m app`: the same as the ``lifeos-app`` command.

Guarded, so that a worker process started with ``spawn`` (which imports the main module again) does
not start a second server."""

from app.main import run

if __name__ == "__main__":
    run()
