"""Entry point for `flet build`, which expects a module at the app's root; the app lives in app/."""

from app.main import run

if __name__ == "__main__":
    run()
