"""Site-wide pages: the landing page, home (which sends each person where they work) and the staff index."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from atelier.permissions import is_site_admin, staff_roles
from testers.models import Program


def home(request):
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    from testers.views.portal import portal_home

    return portal_home(request)


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
