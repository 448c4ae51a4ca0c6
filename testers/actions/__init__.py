"""The actions of the testers app: every change of state in programs, staff roles, invitations, memberships,
terms, feedback and testing time is one registered action (see docs/actions.md and docs/testers.md).

Importing this package registers them all."""
from .base import CONSTRAINT_MESSAGES, TestersAction  # noqa: F401
from .feedback import *  # noqa: F401,F403
from .invitations import *  # noqa: F401,F403
from .memberships import *  # noqa: F401,F403
from .milestones import *  # noqa: F401,F403
from .programs import *  # noqa: F401,F403
from .terms import *  # noqa: F401,F403
from .timelogs import *  # noqa: F401,F403
