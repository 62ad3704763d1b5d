"""Household registry pages: list and search, detail, create and edit, and the Excel import and export."""

from django.urls import path

from households import excel_views, views

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="list"),
    path("new/", views.household_create, name="create"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/move-out/", views.household_move_out, name="move_out"),
    path("<int:pk>/residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/id-number/", views.resident_reveal_id, name="resident_reveal_id"),
    path("export.xlsx", excel_views.household_export, name="export"),
    path("import/", excel_views.household_import, name="import"),
    path("import/template.xlsx", excel_views.household_import_template, name="import_template"),
    path("import/<int:pk>/", excel_views.household_import_preview, name="import_preview"),
]
