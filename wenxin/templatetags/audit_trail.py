"""{% audit_trail_link record %}: the link to a record's trail page, shown only to those who may read it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from wenxin.audit import can_read_audit_trail, trail_url

register = template.Library()


@register.simple_tag(takes_context=True)
def audit_trail_link(context: dict[str, Any], record: Any) -> str:
    """A small button to the trail of `record` (a household, plan, opinion or visit), or nothing."""
    request = context.get("request")
    user = getattr(request, "user", None)
    url = trail_url(record) if can_read_audit_trail(user) else ""
    if not url:
        return ""
    return format_html('<a class="btn btn-sm btn-outline-secondary ms-auto" href="{}">{}</a>', url, _("变更记录"))
