from django.http import HttpResponse


def _stub(request, pk=None):
    return HttpResponse()


household_list = household_create = household_detail = household_edit = household_move_out = _stub
resident_create = resident_edit = resident_reveal_id = _stub
