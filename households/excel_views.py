from django.http import HttpResponse


def _stub(request, pk=None):
    return HttpResponse()


household_export = household_import = household_import_template = household_import_preview = _stub
