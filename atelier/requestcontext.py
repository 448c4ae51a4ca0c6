"""The client address of the request being served, so services can audit it without passing the request around.

X-Forwarded-For is believed only as far as it was written by a proxy of ours (settings.TRUSTED_PROXIES): reading
the header from the right, each address added by a trusted proxy is skipped, and the first one that is not a
trusted proxy is the client. Without trusted proxies the header is ignored. A value that is not an IP address is
never used (nor stored): the walk stops at it and the last address vouched for is taken.
"""
import contextvars
import ipaddress

from django.conf import settings

_ip = contextvars.ContextVar("atelier_client_ip", default=None)


def _address(value: str):
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [IPv6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # IPv4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_ip(request) -> str | None:
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    client = peer
    if _trusted(peer):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-32:]  # bounded, whatever its length
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # not an address: nothing left of it can be believed
            client = address
            if not _trusted(address):
                break
    return str(client)


def current_ip():
    return _ip.get()


def set_ip(value):
    return _ip.set(value)


def reset_ip(token):
    _ip.reset(token)
