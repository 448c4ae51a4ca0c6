from django.urls import path

from testers.views import invitations, portal, staff

app_name = "testers"

urlpatterns = [
    path("invitations/<str:token>/", invitations.invitation_landing, name="invitation"),
    # The artist portal
    path("feedback/", portal.feedback_list, name="feedback_list"),
    path("feedback/new/", portal.feedback_create, name="feedback_create"),
    path("feedback/<int:pk>/", portal.feedback_detail, name="feedback_detail"),
    path("feedback/<int:pk>/images/<int:attachment_id>/", portal.feedback_attachment, name="feedback_image"),
    path("feedback/<int:pk>/images/<int:attachment_id>/thumbnail/", portal.feedback_attachment,
         {"variant": "thumbnail"}, name="feedback_thumbnail"),
    path("time/", portal.timelog_list, name="timelog_list"),
    path("time/<int:pk>/", portal.timelog_detail, name="timelog_detail"),
    path("time/<int:pk>/withdraw/", portal.timelog_withdraw, name="timelog_withdraw"),
    path("terms/<slug:slug>/", portal.terms_detail, name="terms"),
    path("terms/<slug:slug>/history/", portal.terms_history, name="terms_history"),
    path("terms/<slug:slug>/v<int:number>/", portal.terms_version, name="terms_version"),
    path("terms/<slug:slug>/v<int:number>/accepted.pdf", portal.terms_acceptance_pdf, name="terms_acceptance_pdf"),
    path("what-can-i-share/", portal.what_can_i_share, name="what_can_i_share"),
    path("profile/", portal.profile_edit, name="profile"),
    path("artists/<int:pk>/", portal.profile_detail, name="profile_detail"),
    # Staff pages of one program
    path("staff/<slug:slug>/", staff.staff_program, name="staff_program"),
    path("staff/<slug:slug>/artists/", staff.staff_artists, name="staff_artists"),
    path("staff/<slug:slug>/artists/<int:pk>/", staff.staff_artist, name="staff_artist"),
    path("staff/<slug:slug>/invitations/", staff.staff_invitations, name="staff_invitations"),
    path("staff/<slug:slug>/invitations/import/", staff.staff_invitations_import, name="staff_invitations_import"),
    path("staff/<slug:slug>/invitations/<int:pk>/resend/", staff.staff_invitation_resend,
         name="staff_invitation_resend"),
    path("staff/<slug:slug>/invitations/<int:pk>/revoke/", staff.staff_invitation_revoke,
         name="staff_invitation_revoke"),
    path("staff/<slug:slug>/terms/", staff.staff_terms, name="staff_terms"),
    path("staff/<slug:slug>/terms/draft/", staff.staff_terms_draft, name="staff_terms_draft"),
    path("staff/<slug:slug>/terms/<int:number>/", staff.staff_terms_version, name="staff_terms_version"),
    path("staff/<slug:slug>/terms/<int:number>/clauses/new/", staff.staff_clause_add, name="staff_clause_add"),
    path("staff/<slug:slug>/terms/<int:number>/clauses/<int:clause_id>/", staff.staff_clause_edit,
         name="staff_clause_edit"),
    path("staff/<slug:slug>/terms/<int:number>/publish/", staff.staff_terms_publish, name="staff_terms_publish"),
    path("staff/<slug:slug>/terms/<int:number>/acceptance/", staff.staff_terms_acceptance,
         name="staff_terms_acceptance"),
    path("staff/<slug:slug>/terms/<int:number>/acceptance/remind/", staff.staff_terms_remind,
         name="staff_terms_remind"),
    path("staff/<slug:slug>/feedback/", staff.staff_feedback, name="staff_feedback"),
    path("staff/<slug:slug>/feedback/<int:pk>/", staff.staff_feedback_detail, name="staff_feedback_detail"),
    path("staff/<slug:slug>/time/", staff.staff_timelogs, name="staff_timelogs"),
    path("staff/<slug:slug>/time/<int:pk>/decide/", staff.staff_timelog_decide, name="staff_timelog_decide"),
]
