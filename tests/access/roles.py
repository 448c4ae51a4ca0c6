"""The roles the access test signs in as (see DESIGN.md, "People and roles", and issue 9)."""

ANON = "anonymous"
# Staff of program A (all with TOTP). A_RUN_CREATOR is a second finance user who created A's payout run
# (the four-eyes rule: the creator may not approve it).
A_MANAGER = "a_manager"
A_REVIEWER = "a_reviewer"
A_FINANCE = "a_finance"
A_RUN_CREATOR = "a_run_creator"
# Staff of program B (with TOTP): never reach A's objects.
B_MANAGER = "b_manager"
B_REVIEWER = "b_reviewer"
B_FINANCE = "b_finance"
# Artists. A_OWNER owns the objects the URLs point at; A_PAUSED and A_REMOVED are pointed at their own.
A_OWNER = "a_owner"
A_MEMBER = "a_member"
A_PAUSED = "a_paused"
A_REMOVED = "a_removed"
B_ARTIST = "b_artist"
# A manager of A who never set up TOTP, and a site admin (superuser) with TOTP.
A_NO_TOTP = "a_staff_no_totp"
ADMIN = "site_admin"

ROLES = (ANON, A_MANAGER, A_REVIEWER, A_FINANCE, A_RUN_CREATOR, B_MANAGER, B_REVIEWER, B_FINANCE,
         A_OWNER, A_MEMBER, A_PAUSED, A_REMOVED, B_ARTIST, A_NO_TOTP, ADMIN)

A_STAFF = frozenset({A_MANAGER, A_REVIEWER, A_FINANCE, A_RUN_CREATOR})
B_STAFF = frozenset({B_MANAGER, B_REVIEWER, B_FINANCE})
ALL_STAFF = A_STAFF | B_STAFF | {A_NO_TOTP}
ARTISTS = frozenset({A_OWNER, A_MEMBER, A_PAUSED, A_REMOVED, B_ARTIST})
A_ARTISTS = frozenset({A_OWNER, A_MEMBER, A_PAUSED, A_REMOVED})
SIGNED_IN = frozenset(ROLES) - {ANON}
EVERYONE = frozenset(ROLES)
# Roles who own a bundle of objects in A (each is pointed at their own).
OWNERS = frozenset({A_OWNER, A_PAUSED, A_REMOVED})
NOT_ACTIVE = frozenset({A_PAUSED, A_REMOVED})

# Shorthands of the table, by program A's staff roles (site admin included: "everything").
MANAGER = frozenset({A_MANAGER, ADMIN})
FINANCE = frozenset({A_FINANCE, A_RUN_CREATOR, ADMIN})
MANAGER_FINANCE = MANAGER | FINANCE
MANAGER_REVIEWER = frozenset({A_MANAGER, A_REVIEWER, ADMIN})
STAFF_OF_A = A_STAFF | {ADMIN}
