"""The artist portal's home: one panel per program the artist belongs to."""
from django.shortcuts import render

from atelier.permissions import is_staff_member
from testers.models import Membership


def portal_home(request):
    memberships = (
        Membership.objects.filter(artist__user=request.user)
        .exclude(status=Membership.Status.REMOVED)
        .select_related("program", "artist")
    )
    return render(
        request,
        "testers/portal_home.html",
        {"memberships": memberships, "is_staff_member": is_staff_member(request.user)},
    )
