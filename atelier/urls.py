from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from atelier import views

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = "Atelier admin"
admin.site.index_title = "Programs, people, money and review"
# The admin signs in through allauth, so TOTP and rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_index, name="staff_index"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("testers.urls")),
    path("", include("content_review.urls")),
    path("", include("payments.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
