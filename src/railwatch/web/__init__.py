"""The web edge: a REST API, the dashboard and the review tool over the stages' services.

``create_app(store, settings)`` builds the FastAPI app; ``railwatch serve`` runs
it with uvicorn. Tiles are cut from stored imagery by :mod:`railwatch.web.tiles`.
"""

from railwatch.web.settings import SETTINGS, WebSettings

__all__ = ["SETTINGS", "WebSettings", "create_app"]


def __getattr__(name: str):  # FastAPI loads only when the app is built
    if name == "create_app":
        from railwatch.web.app import create_app

        return create_app
    raise AttributeError(name)
