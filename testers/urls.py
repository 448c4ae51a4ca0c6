from django.urls import path

from testers.views import invitations, staff

app_name = "testers"

urlpatterns = [
    path("invitations/<str:token>/", invitations.invitation_landing, name="invitation"),
    path("staff/<slug:slug>/", staff.staff_program, name="staff_program"),
]
