"""One form renderer: every Django form renders with labels, help text and errors the same way."""
from django.forms.renderers import TemplatesSetting


class AtelierFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
