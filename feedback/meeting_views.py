"""Placeholder until the meeting pages land (being written now)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


meeting_list = meeting_create = cadence = meeting_detail = meeting_edit = _todo
