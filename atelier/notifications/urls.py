from django.urls import path

from atelier.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.badge, name="badge"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("settings/", views.preferences, name="preferences"),
    path("settings/<str:token>/", views.preferences_token, name="preferences_token"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
