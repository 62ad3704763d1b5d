"""Form fields every app's forms share where Django's own would answer a tampered request with a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's multiple choice of records, with an id too large for the database refused like any other bad id.

    Django looks the posted ids up with `pk IN (...)`, which, unlike `pk = ...`, does not guard against a number
    the column cannot hold: thirty nines in a tampered request crash SQLite (OverflowError) and PostgreSQL (out of
    range). Such an id is answered with the field's own "not one of the choices" message instead.
    """

    def _check_values(self, value: Any):
        key = self.to_field_name or "pk"
        model_field = self.queryset.model._meta.pk if key == "pk" else self.queryset.model._meta.get_field(key)
        internal_type = model_field.get_internal_type()
        ops = connections[self.queryset.db].ops
        if internal_type in ops.integer_field_ranges:
            low, high = ops.integer_field_range(internal_type)
            for pk in value or ():
                try:
                    number = int(str(pk))
                except ValueError:
                    continue  # not a number at all: Django's own check names it
                if (low is not None and number < low) or (high is not None and number > high):
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                    )
        return super()._check_values(value)
