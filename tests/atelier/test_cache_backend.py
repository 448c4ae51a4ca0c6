"""The Redis cache backend production uses (atelier/cache.py): Django's, reusing one client per pool."""
import os
import subprocess
import sys
from pathlib import Path

from atelier.cache import RedisCache

URL = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parents[2]


def test_a_redis_cache_url_selects_our_backend():
    env = {**os.environ, "CACHE_URL": URL, "DJANGO_SETTINGS_MODULE": "atelier.settings"}
    shown = subprocess.run([sys.executable, "-c", "from django.conf import settings; "
                            "print(settings.CACHES['default']['BACKEND'])"],
                           env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    assert shown == "atelier.cache.RedisCache"


def test_it_stores_reads_and_clears_like_djangos_and_keeps_one_client():
    cache = RedisCache(URL, {"KEY_PREFIX": "atelier-test-cache-backend"})
    cache.clear()
    assert cache.get("missing") is None
    cache.set("figure", {"total": 12_500})
    assert cache.add("figure", "other") is False and cache.get("figure") == {"total": 12_500}
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    assert cache.incr("a") == 2
    cache.delete("figure")
    assert cache.get("figure") is None
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.clear()
