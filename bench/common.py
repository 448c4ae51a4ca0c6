"""Shared helpers for benchmark scripts: Django set-up on a dedicated PostgreSQL database, bulk data."""
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atelier_bench")


def _psql_value(database_url: str, sql: str) -> str:
    return subprocess.run(["psql", database_url, "-tAc", sql], capture_output=True, text=True).stdout.strip()


def setup_django(database_url: str = BENCH_DATABASE_URL, fresh: bool = False, data_version: str | None = None):
    """Point Django at the bench database (created and migrated if needed) and set it up.

    `data_version` names the shape of the data a script builds: a database started for another version (or
    none) is dropped and built again, so a script never measures stale data after its builder changed. A build
    of the same version that was interrupted is resumed (the builders skip what exists; see `mark_built`)."""
    name = database_url.rsplit("/", 1)[-1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    if data_version is not None and not fresh:
        stored = _psql_value(database_url, "SELECT value FROM bench_meta WHERE key = 'data_version'")
        if stored != data_version:
            fresh = True
            if stored:
                print(f"  {name}: data version {stored!r} is not {data_version!r}: rebuilding", flush=True)
    if fresh:
        subprocess.run(["psql", server, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    exists = subprocess.run(["psql", server, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
                            capture_output=True, text=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:  # outside Django's models: migrations never see it
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        if data_version is not None:
            cursor.execute("INSERT INTO bench_meta (key, value) VALUES ('data_version', %s) ON CONFLICT DO NOTHING",
                           [data_version])


def mark_built(part: str):
    """Record that `part` of the data is complete: `is_built(part)` skips it next time."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_meta (key, value) VALUES (%s, 'built') ON CONFLICT DO NOTHING",
                       [f"built:{part}"])


def is_built(part: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM bench_meta WHERE key = %s", [f"built:{part}"])
        return cursor.fetchone() is not None


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@contextmanager
def timed(label: str, results: dict | None = None):
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    if results is not None:
        results[label] = elapsed
    print(f"{label}: {elapsed:.2f} s", flush=True)


def make_program(slug: str = "bench", currency: str = "USD"):
    from testers.models import Program

    program, _ = Program.objects.get_or_create(slug=slug, defaults={"name": f"Bench {slug}", "currency": currency})
    return program


def make_artists(program, count: int, *, prefix: str = "artist"):
    """Create `count` artists with memberships in `program`, in bulk (one shared password hash)."""
    from django.contrib.auth.hashers import make_password

    from atelier.models import User
    from testers.models import ArtistProfile, Membership

    existing = Membership.objects.filter(program=program).count()
    if existing >= count:
        return list(Membership.objects.filter(program=program).order_by("id")[:count])
    password = make_password("bench-password-123")
    users = [User(email=f"{prefix}{i}@{program.slug}.bench", password=password, first_name="Artist", last_name=str(i))
             for i in range(existing, count)]
    User.objects.bulk_create(users, batch_size=2000)
    users = list(User.objects.filter(email__endswith=f"@{program.slug}.bench").exclude(artist_profile__isnull=False))
    profiles = ArtistProfile.objects.bulk_create(
        [ArtistProfile(user=u, display_name=f"Artist {u.last_name}", legal_name=f"Artist {u.last_name}", country="US")
         for u in users], batch_size=2000)
    Membership.objects.bulk_create(
        [Membership(program=program, artist=p, status=Membership.Status.ACTIVE, cohort=f"c{i % 4}")
         for i, p in enumerate(profiles)], batch_size=2000)
    return list(Membership.objects.filter(program=program).order_by("id")[:count])


def approved_time_logs(memberships, *, day: date | None = None, decided_by=None,
                       description: str = "Bench testing time") -> dict:
    """One approved TimeLog per membership, for time ledger lines to point at (a "time" entry needs a time log;
    the link is not unique, so every line of an artist can share one). Bulk-created, reused on a second call
    (matched by `description`). Returns {membership id: time log id}."""
    from django.utils import timezone

    from testers.models import TimeLog

    ids = [m.pk for m in memberships]
    found = {}
    for start in range(0, len(ids), 10_000):
        found.update(TimeLog.objects.filter(membership_id__in=ids[start:start + 10_000], status=TimeLog.Status.APPROVED,
                                            description=description).values_list("membership_id", "id"))
    missing = [pk for pk in dict.fromkeys(ids) if pk not in found]
    if missing:
        day = day or date.today() - timedelta(days=1)
        now = timezone.now()
        created = TimeLog.objects.bulk_create(
            [TimeLog(membership_id=pk, date=day, minutes=60, description=description, status=TimeLog.Status.APPROVED,
                     decided_by=decided_by, decided_at=now) for pk in missing], batch_size=5000)
        found.update((t.membership_id, t.pk) for t in created)
    return found


def make_ledger_entries(program, memberships, total: int, *, start: date | None = None):
    """Spread `total` positive time entries over the memberships (bulk insert; the ledger allows inserts), each
    pointing at its artist's approved bench time log (one per membership, see approved_time_logs)."""
    from payments.models import LedgerEntry

    start = start or date.today() - timedelta(days=365)
    time_logs = approved_time_logs(memberships, day=start)
    already = LedgerEntry.objects.filter(program=program).count()
    batch = []
    for n in range(already, total):
        membership = memberships[n % len(memberships)]
        batch.append(LedgerEntry(
            program=program, membership=membership, kind=LedgerEntry.Kind.TIME, amount_minor=1500 + n % 700,
            currency=program.currency, source_key=f"bench:{program.slug}:{n}", work_date=start + timedelta(days=n % 365),
            unit_rate_minor=3000, quantity="0.50", description="Bench testing time",
            time_log_id=time_logs[membership.pk]))
        if len(batch) == 10000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    if batch:
        LedgerEntry.objects.bulk_create(batch)
