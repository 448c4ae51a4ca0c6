"""Signs in as each demo role and follows every link of the running app; prints any page that fails.

Run inside `manage.py shell` against a database that `seed_demo` filled (see test_embedded_default.py).
"""
import re
from collections import deque

from django.test import Client

from atelier.models import User

START = {
    "ana@artists.test": ["/"], "finn@artists.test": ["/"], "hugo@artists.test": ["/"], "emi@artists.test": ["/"],
    "manager@atelier.test": ["/", "/staff/lumen-beta/"], "reviewer@atelier.test": ["/", "/staff/lumen-beta/"],
    "finance@atelier.test": ["/", "/staff/lumen-beta/"], "admin@atelier.test": ["/", "/staff/", "/admin/"],
}
SKIP = ("/static/", "/accounts/logout", "/admin/logout")
failures = []
for email, start in START.items():
    client = Client()
    client.force_login(User.objects.get(email=email))
    seen, queue = set(), deque(start)
    while queue and len(seen) < 250:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{email} {url} {response.status_code}")
        if response.status_code == 200 and "text/html" in response.headers.get("Content-Type", ""):
            for href in re.findall(r'href="(/[^"#]*)"', response.content.decode()):
                href = href.replace("&amp;", "&")
                if not href.startswith(SKIP) and href not in seen:
                    queue.append(href)
    print(f"CRAWLED {email} {len(seen)}")
for failure in failures:
    print("FAILED", failure)
