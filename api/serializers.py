"""What the API reads and writes. Feedback is validated by the portal's own form (testers.forms.FeedbackForm), so
the API and the portal refuse the same things with the same words; the fields here describe it for the schema."""
from __future__ import annotations

from django.utils.datastructures import MultiValueDict
from rest_framework import serializers

from atelier import bounds
from testers import media
from testers.forms import FeedbackForm
from testers.models import Feedback, FeedbackAttachment, TermsVersion

METADATA_HELP = "What the tool says about itself ({}); at most {} characters."


class FeedbackSubmitSerializer(serializers.Serializer):
    """A feedback item sent from inside the tool (multipart/form-data when it carries screenshots)."""

    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)
    title = serializers.CharField(max_length=bounds.SHORT_TEXT)
    body = serializers.CharField(max_length=bounds.LONG_TEXT, help_text="What happened, or what you would like.")
    severity = serializers.ChoiceField(choices=Feedback.Severity.choices, required=False, allow_blank=True,
                                       help_text="Required for bugs.")
    images = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=media.MAX_ATTACHMENTS,
        help_text=f"Up to {media.MAX_ATTACHMENTS} screenshots ({media.ACCEPTED_IMAGES}, 10 MB each); repeat the "
                  f"`images` part once per file.")
    build = serializers.CharField(max_length=bounds.APP_METADATA_TEXT, required=False, allow_blank=True,
                                  help_text=METADATA_HELP.format("its build or version", bounds.APP_METADATA_TEXT))
    os = serializers.CharField(max_length=bounds.APP_METADATA_TEXT, required=False, allow_blank=True,
                               help_text=METADATA_HELP.format("the operating system", bounds.APP_METADATA_TEXT))
    device = serializers.CharField(max_length=bounds.APP_METADATA_TEXT, required=False, allow_blank=True,
                                   help_text=METADATA_HELP.format("the device", bounds.APP_METADATA_TEXT))

    def validate(self, attrs):
        membership = self.context["membership"]
        images = attrs.get("images") or []
        form = FeedbackForm(
            {"membership": membership.pk, "kind": attrs.get("kind"), "title": attrs.get("title"),
             "body": attrs.get("body"), "severity": attrs.get("severity") or ""},
            MultiValueDict({"images": images}), memberships=[membership])
        if not form.is_valid():
            errors = {("non_field_errors" if field == "__all__" else field): list(messages)
                      for field, messages in form.errors.items() if field != "membership"}
            raise serializers.ValidationError(errors or {"non_field_errors": ["This feedback cannot be sent."]})
        attrs["severity"] = form.cleaned_data["severity"]
        attrs["images"] = form.cleaned_data["images"]
        return attrs


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")

    class Meta:
        model = FeedbackAttachment
        fields = ["id", "name", "width", "height"]


class FeedbackSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(source="membership.program", slug_field="slug", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    build = serializers.CharField(source="app_build")
    os = serializers.CharField(source="app_os")
    device = serializers.CharField(source="app_device")
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Feedback
        fields = ["id", "program", "kind", "title", "body", "severity", "status", "status_label", "decline_reason",
                  "duplicate_of", "build", "os", "device", "attachments", "created_at", "updated_at"]
        read_only_fields = fields


# --- "What can I share?" ----------------------------------------------------------------------------------
# Each clause as the portal's page shows it. A new fact about a clause (its end, say) is one more name in
# Meta.fields (a model field or a property; a SerializerMethodField for anything computed).

class ClauseSerializer(serializers.Serializer):
    """One clause as `testers.selectors.clause_share` gives it: what it says, what the artist may do now, and
    when its confidentiality ends."""

    key = serializers.CharField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    examples = serializers.CharField()
    klass = serializers.CharField(help_text="The class the terms gave it: confidential, needs_approval or "
                                            "free_to_share.")
    free_to_share = serializers.BooleanField(help_text="True when it may be shared now: free by its class, or its "
                                                       "end came.")
    ends_on = serializers.DateField(allow_null=True, help_text="The day its confidentiality ends, if it ends on a day.")
    ends_at_milestone = serializers.CharField(allow_null=True, help_text="The milestone whose announcement ends it.")
    ended_at = serializers.DateTimeField(allow_null=True, help_text="When its end came; null while it holds.")
    end_text = serializers.CharField(help_text="The end in words, e.g. “until public launch is announced”; "
                                               "empty when it has none.")


class TermsVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TermsVersion
        fields = ["number", "effective_date", "published_at"]
        read_only_fields = fields


class ClauseClassSerializer(serializers.Serializer):
    klass = serializers.CharField(help_text="confidential, needs_approval or free_to_share")
    label = serializers.CharField()
    clauses = ClauseSerializer(many=True)


class WhatCanIShareSerializer(serializers.Serializer):
    """One program's section of the page (testers.selectors.what_can_i_share)."""

    program = serializers.CharField(source="membership.program.slug")
    program_name = serializers.CharField(source="membership.program.name")
    accepted_version = TermsVersionSerializer(source="version", allow_null=True,
                                              help_text="The version you accepted; null before you accept one.")
    newer_version = TermsVersionSerializer(source="newer", allow_null=True,
                                           help_text="A newer version waiting for your acceptance, if any.")
    classes = ClauseClassSerializer(source="columns", many=True,
                                    help_text="The clauses of the version you accepted, by class.")
