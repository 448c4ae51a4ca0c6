"""Telling people (DESIGN.md "Telling people"): every action that asks someone to act, or touches their money or
their rules, leaves an in-app notification and an e-mail (at once, in a daily digest, or none, by the person's
choice per category; terms and money always at once).

- `registry`: the categories and the notices. Each app declares its notices (event → who is told what, with
  which link) in `<app>/notifications.py`, imported from its AppConfig.ready.
- `delivery`: the subscriber's work (in Celery tasks): notifications, their e-mail, the digest, the unread count.
- `actions`, `views`, `urls`: the centre, marking read, the settings (also through a signed link).
- `mail`: the one mail path for everything that is not a notification (an invitation to an address).

docs/notifications.md is the table of every notified event.
"""
from atelier.notifications.mail import notify
from atelier.notifications.registry import CATEGORIES, Message, notice, register_category

__all__ = ["CATEGORIES", "Message", "notice", "notify", "register_category"]
