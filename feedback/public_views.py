"""Placeholder until the public online channel lands (being written now)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


submit = thanks = track = _todo
