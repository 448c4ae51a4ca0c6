from django.apps import AppConfig


class ContentReviewConfig(AppConfig):
    name = "content_review"
    verbose_name = "Content review"
