"""What every page asks about the signed-in person, kept in the shared cache: the user row, their access (staff
roles, memberships, TOTP) and the bell's unread count. The authentication middleware reads the three in one cache
call, so a signed-in page that asks nothing else runs no SQL at all.

Every entry is cleared when a row it was made from changes (docs/architecture.md, "Caches"). Clearing leaves a
short-lived marker instead of deleting, and entries are filled with `cache.add`, which never overwrites: a request
that read the database just before a change committed cannot put the old value back after the change cleared it.
Clearing happens at once (the writer's own transaction sees it) and again when the transaction commits (what
other processes see from then on)."""
from __future__ import annotations

import functools
import hashlib

import django
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.crypto import constant_time_compare

TTL = 300  # seconds: a bound on staleness should a write escape every invalidation (a raw UPDATE, a shell)
CLEARED = "atelier:cleared"  # the marker; an entry holding it reads as a miss and cannot be filled (see above)
CLEARED_FOR = 10  # seconds: longer than any request between its database read and its cache fill


@functools.cache
def _user_shape() -> str:
    """The user row's fields and Django's version: a pickled user from before a deploy that changed either is
    never read back (it would miss a field, or warn)."""
    fields = [field.attname for field in auth.get_user_model()._meta.concrete_fields]
    return hashlib.sha256(repr((django.get_version(), fields)).encode()).hexdigest()[:12]


def user_key(user_id) -> str:
    return f"atelier:person:{user_id}:user:{_user_shape()}"


def access_key(user_id) -> str:
    return f"atelier:person:{user_id}:access"


def unread_key(user_id) -> str:
    return f"atelier:notifications:unread:{user_id}"


def read(*keys) -> dict:
    """{key: value} of the keys that hold a value (one cache call)."""
    return {key: value for key, value in cache.get_many(keys).items() if value != CLEARED}


def get(key):
    value = cache.get(key)
    return None if value == CLEARED else value


def fill(key, value) -> None:
    cache.add(key, value, TTL)


def clear(*keys) -> None:
    """Clear now, and again once the current transaction commits (at once outside a transaction)."""
    marked = {key: CLEARED for key in keys}
    cache.set_many(marked, CLEARED_FOR)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.set_many(marked, CLEARED_FOR))


# --- the signed-in user, read with their access and unread count ------------------------------------------------

def _session_verified(request, user) -> bool:
    session_hash = request.session.get(HASH_SESSION_KEY)
    return bool(session_hash) and constant_time_compare(session_hash, user.get_session_auth_hash())


def signed_in_user(request):
    """`request.user`: Django's `auth.get_user` with the user row from the cache. A cached user still has to match
    the session's hash of its password; any doubt (no session, an unknown backend, a hash made with an old secret)
    goes to Django's own path, which reads the database and flushes a session that does not verify."""
    session = request.session
    user_id = session.get(SESSION_KEY)
    if user_id is None or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    try:
        pk = auth.get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return auth.get_user(request)
    found = read(user_key(pk), access_key(pk), unread_key(pk))
    user = found.get(user_key(pk))
    if user is None or not _session_verified(request, user):
        user = auth.get_user(request)
        if not user.is_authenticated or user.pk != pk:
            return user
        fill(user_key(pk), user)  # before anything is remembered on the object
    if access_key(pk) in found:
        user._atelier_access = found[access_key(pk)]  # read by atelier.permissions
    if unread_key(pk) in found:
        user._atelier_unread = found[unread_key(pk)]  # read by atelier.notifications.delivery.unread_count
    return user


# --- what clears them -------------------------------------------------------------------------------------------
# Model signals rather than action events: these rows are also written outside the action layer (allauth changes a
# password, an e-mail address or an authenticator; Django's own last_login), and an event reaches subscribers only
# after commit, while the writer's own request must see its change at once.

def _user_changed(sender, instance, **kwargs) -> None:
    clear(user_key(instance.pk), access_key(instance.pk))  # the access asks TOTP of staff (is_staff, superuser)


def _access_changed(user_id) -> None:
    if user_id is not None:
        clear(access_key(user_id))


def _staff_role_changed(sender, instance, **kwargs) -> None:
    _access_changed(instance.user_id)


def _membership_changed(sender, instance, **kwargs) -> None:
    artist_field = instance._meta.get_field("artist")
    if artist_field.is_cached(instance):
        _access_changed(instance.artist.user_id)
    else:
        _access_changed(artist_field.related_model._default_manager.filter(pk=instance.artist_id)
                        .values_list("user_id", flat=True).first())


def _authenticator_changed(sender, instance, **kwargs) -> None:
    _access_changed(instance.user_id)


def connect() -> None:
    """Called from AtelierConfig.ready (senders named by label: the kernel imports no app above it)."""
    for sender, receiver in ((settings.AUTH_USER_MODEL, _user_changed), ("testers.StaffRole", _staff_role_changed),
                             ("testers.Membership", _membership_changed), ("mfa.Authenticator", _authenticator_changed)):
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=sender, dispatch_uid=f"atelier.person_cache.{receiver.__name__}")
