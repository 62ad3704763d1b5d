"""The admin's "view on site" redirect, answered only for a record the user may see."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse


def view_on_site(request: HttpRequest, content_type_id: str, object_id: str) -> HttpResponse:
    """Django's own shortcut redirects to any record's page, so it tells whoever asks that an id exists (another
    user's background job, say). Here a record outside the user's visible_to answers 404, as a missing one does."""
    try:
        content_type = ContentType.objects.get(pk=int(content_type_id))
    except (ValueError, ContentType.DoesNotExist):
        raise Http404 from None
    model = content_type.model_class()
    manager = getattr(model, "_default_manager", None)
    if manager is None or not hasattr(manager, "visible_to"):
        raise Http404
    try:
        visible = manager.visible_to(request.user).filter(pk=object_id).exists()
    except (ValueError, TypeError, ValidationError):
        raise Http404 from None
    if not visible:
        raise Http404
    return shortcut(request, content_type_id, object_id)
