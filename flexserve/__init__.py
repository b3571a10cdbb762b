"""flexserve: the flexible service platform (柔性化服务平台)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
