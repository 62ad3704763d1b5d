"""Placeholder until the opinion pages land (being written now)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


opinion_list = opinion_export = my_tasks = overdue = opinion_create = opinion_detail = _todo
opinion_sort = opinion_split = opinion_assign = opinion_start = opinion_resolve = opinion_explain = _todo
topic_list = topic_create = topic_detail = _todo
