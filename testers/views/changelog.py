"""The public changelog of a program: what artists' feedback changed, and who to thank (docs/testers.md)."""
from django.http import Http404
from django.shortcuts import render

from testers import selectors
from testers.models import Program
from testers.views import paginate


def changelog(request, slug):
    """Anyone may read it, signed in or not, once the program's managers publish it (program settings); a
    program without one (or a draft program) is a 404, as if it did not exist."""
    program = (Program.objects.filter(slug=slug, changelog_public=True).exclude(status=Program.Status.DRAFT)
               .only("pk", "name", "slug").first())
    if program is None:
        raise Http404("Not found.")
    return render(request, "testers/changelog.html", {"program": program,
                                                      "page_obj": paginate(request, selectors.changelog(program))})
