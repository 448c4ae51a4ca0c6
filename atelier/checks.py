"""System checks of our own, run by `manage.py check --deploy`."""
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Login rate limits (allauth) are counted in the cache, and the signed-in person's user and access are kept
    there (atelier.person_cache): a cache inside each process lets every worker count on its own, and keep showing
    a role another worker has revoked."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in settings.PER_PROCESS_CACHES:
        return [checks.Error(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) lives inside one process: with several web workers "
            f"login rate limits are counted per worker, and a role revoked in one worker stays cached in the others.",
            hint="Set CACHE_URL to a shared cache, e.g. redis://redis:6379/1.", id="atelier.E001",
        )]
    return []
