from django.http import HttpResponse


def _stub(request, pk=None):
    return HttpResponse()


plan_worklist = plan_detail = plan_create = plan_edit = plan_history = measure_add = measure_status = _stub
pair_list = pair_create = pair_end = household_subsidies = subsidy_create = subsidy_report = _stub
initiative_list = initiative_create = initiative_edit = _stub
