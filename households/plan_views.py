from django.http import HttpResponse


def _stub(request, pk=None):
    return HttpResponse()


plan_worklist = plan_detail = plan_create = plan_edit = plan_history = measure_add = measure_status = _stub
