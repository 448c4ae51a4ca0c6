from django.urls import path

app_name = "content_review"

urlpatterns: list = []
