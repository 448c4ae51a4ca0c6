from django.urls import path

from content_review import views

app_name = "content_review"

urlpatterns = [
    # The artist's share requests
    path("share-requests/", views.my_requests, name="my_requests"),
    path("programs/<slug:slug>/share-requests/new/", views.new_request, name="new_request"),
    path("share-requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("share-requests/<int:pk>/edit/", views.edit_request, name="edit_request"),
    path("share-requests/<int:pk>/works/", views.request_works, name="request_works"),
    path("share-requests/<int:pk>/submit/", views.submit_request, name="submit_request"),
    path("share-requests/<int:pk>/withdraw/", views.withdraw_request, name="withdraw_request"),
    path("share-requests/<int:pk>/appeal/", views.appeal_request, name="appeal_request"),
    path("share-requests/works/<int:work_pk>/retry/", views.retry_work, name="retry_work"),
    path("share-requests/works/<int:work_pk>/showcase/", views.showcase_consent, name="showcase_consent"),
    path("share-requests/works/<int:work_pk>/showcase/remove/", views.remove_from_showcase,
         name="remove_from_showcase"),
    path("share-requests/files/<uuid:token>/<slug:variant>/", views.work_file, name="work_file"),
    # Staff
    path("staff/<slug:slug>/review/", views.queue, name="queue"),
    path("staff/<slug:slug>/review/<int:pk>/", views.review, name="review"),
    # Public showcase and the transparency report
    path("showcase/<slug:slug>/", views.showcase, name="showcase"),
    path("showcase/<slug:slug>/works/<uuid:token>/", views.showcase_file, name="showcase_file"),
    path("programs/<slug:slug>/review-report/", views.review_report, name="review_report"),
]
