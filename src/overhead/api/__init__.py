"""The REST service (FastAPI): catalogue, computations, jobs and exports; serves the web dashboard."""

from overhead.api.app import create_app
from overhead.api.service import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
