"""Placeholder until the figures page lands (being written now)."""

from django.http import Http404


def figures(request, *args, **kwargs):
    raise Http404
