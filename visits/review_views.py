from django.http import HttpResponse


def _stub(request, pk=None):
    return HttpResponse()


quota_dashboard = quota_export = quota_worker = coverage_page = staff_estates = service_day_page = _stub
places = estate_visits = enterprise_visits = _stub
