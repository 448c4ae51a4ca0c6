"""The site's URL map: every app's URLs, the admin and accounts. The top layer: it may import any app."""
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from atelier import account_views, audit_views
from portal import views

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = "Atelier admin"
admin.site.index_title = "Programs, people, money and review"
# The admin signs in through allauth, so TOTP and rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_index, name="staff_index"),
    path("staff/<slug:slug>/audit/", audit_views.program_audit_log, name="program_audit_log"),
    path("admin/", admin.site.urls),
    path("time-zone/", account_views.time_zone_edit, name="time_zone"),
    path("accounts/", include("allauth.urls")),
    path("notifications/", include("atelier.notifications.urls")),
    path("", include("testers.urls")),
    path("", include("content_review.urls")),
    path("", include("payments.urls")),
    # By name, not import: api sits beside portal on the top layer, and nothing imports it (.importlinter).
    path("", include("api.urls")),
]
# No route serves MEDIA_ROOT, not even in development: every uploaded file (feedback images, works)
# reaches a browser only through a view that asks the permission helper.
