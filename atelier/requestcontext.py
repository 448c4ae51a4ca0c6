"""The client address of the request being served, so services can audit it without passing the request around."""
import contextvars

_ip = contextvars.ContextVar("atelier_client_ip", default=None)


def client_ip(request):
    # Behind a proxy, trust only the address the proxy appended (the last one), never the whole header.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def current_ip():
    return _ip.get()


def set_ip(value):
    return _ip.set(value)


def reset_ip(token):
    _ip.reset(token)
