from django.http import HttpResponse


def _stub(request, pk=None):
    return HttpResponse()


pair_list = pair_create = pair_end = household_subsidies = subsidy_create = subsidy_report = _stub
initiative_list = initiative_create = initiative_edit = _stub
