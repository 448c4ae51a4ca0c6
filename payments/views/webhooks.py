"""The Stripe webhook endpoint: raw body and Stripe-Signature header to payments.services.webhooks."""
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments.services.webhooks import receive_webhook


@csrf_exempt  # Stripe cannot send a CSRF token; the signature authenticates the request instead.
@require_POST
def stripe_webhook(request):
    result = receive_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    return HttpResponse(result.message, status=result.status, content_type="text/plain; charset=utf-8")
