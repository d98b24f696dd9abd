"""`python -m app`: the same as the ``lifeos-app`` command."""

from app.main import run

run()
