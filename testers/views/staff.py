"""Staff pages of one program."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from atelier.permissions import get_object_for, staff_roles
from testers.models import Program


@login_required
def staff_program(request, slug):
    program = get_object_for(request.user, "program.view_staff", Program.objects.all(), program_path="pk", slug=slug)
    roles = sorted(staff_roles(request.user).get(program.pk, set()))
    return render(request, "testers/staff/program.html", {"program": program, "roles": roles})
