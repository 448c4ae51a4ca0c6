"""Site-wide pages that compose the apps: the landing page, home (the artist's portal home: a panel per program
from testers, content review and payments), and the staff index."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from atelier.permissions import is_site_admin, is_staff_member, staff_roles
from content_review import portal as review_portal
from payments import portal as payments_portal
from testers import portal as testers_portal
from testers import selectors
from testers.models import ArtistProfile, Program


def home(request):
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    return portal_home(request)


def portal_home(request):
    memberships = list(selectors.artist_memberships(request.user))
    ours = testers_portal.home_panels(request.user, memberships)
    review = review_portal.home_panels(request.user, memberships)
    payments = payments_portal.home_panels(request.user, memberships)
    rows = [
        {"membership": m, "panel": ours.get(m.pk, {}), "review_panel": review.get(m.pk),
         "payments_panel": payments.get(m.pk)}
        for m in memberships
    ]
    # The profile came with the memberships: no query for it (a staff member without any asks for it once).
    profile = memberships[0].artist if memberships else ArtistProfile.objects.filter(user=request.user).first()
    return render(request, "portal/home.html",
                  {"rows": rows, "memberships": memberships, "is_staff_member": is_staff_member(request.user),
                   "display_name": profile.display_name if profile else ""})


@login_required
def staff_index(request):
    """Programs in which the user holds a staff role, with the roles. Anyone without one gets a 404."""
    roles = staff_roles(request.user)
    if not roles and not is_site_admin(request.user):
        raise Http404("Not found.")
    programs = Program.objects.all() if is_site_admin(request.user) else Program.objects.filter(pk__in=roles)
    rows = [(program, sorted(roles.get(program.pk, set()))) for program in programs]
    if len(rows) == 1 and not is_site_admin(request.user):
        return redirect("testers:staff_program", slug=rows[0][0].slug)
    return render(request, "staff/index.html", {"rows": rows})
