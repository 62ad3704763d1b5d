"""Household registry pages: list and search, detail, create and edit, and the Excel import and export."""

from django.urls import path

from households import access_views, excel_views, export_views, plan_views, print_views, support_views, views

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
    # A resident's access request: everything about the household as one file.
    path("<int:pk>/access-export/", access_views.household_access_export, name="access_export"),
    path("export.xlsx", excel_views.household_export, name="export"),
    path("import/", excel_views.household_import, name="import"),
    path("import/template.xlsx", excel_views.household_import_template, name="import_template"),
    path("import/<int:pk>/", excel_views.household_import_preview, name="import_preview"),
    # One household, one plan; pairing; subsidies; initiatives
    path("plans/", plan_views.plan_worklist, name="plan_worklist"),
    path("plans/export.xlsx", export_views.plan_worklist_export, name="plan_worklist_export"),
    path("<int:pk>/plan/", plan_views.plan_detail, name="plan_detail"),
    path("<int:pk>/plan/new/", plan_views.plan_create, name="plan_create"),
    path("<int:pk>/plan/edit/", plan_views.plan_edit, name="plan_edit"),
    path("<int:pk>/plan/history/", plan_views.plan_history, name="plan_history"),
    path("<int:pk>/plan/print/", print_views.plan_print, name="plan_print"),
    path("<int:pk>/plan/measures/new/", plan_views.measure_add, name="measure_add"),
    path("plan/measures/<int:pk>/status/", plan_views.measure_status, name="measure_status"),
    path("pairs/", support_views.pair_list, name="pair_list"),
    path("pairs/export.xlsx", export_views.pair_export, name="pair_export"),
    path("<int:pk>/pairs/new/", support_views.pair_create, name="pair_create"),
    path("pairs/<int:pk>/end/", support_views.pair_end, name="pair_end"),
    path("<int:pk>/subsidies/", support_views.household_subsidies, name="subsidies"),
    path("<int:pk>/subsidies/new/", support_views.subsidy_create, name="subsidy_create"),
    path("subsidies/report/", support_views.subsidy_report, name="subsidy_report"),
    path("initiatives/", support_views.initiative_list, name="initiative_list"),
    path("initiatives/export.xlsx", export_views.initiative_export, name="initiative_export"),
    path("initiatives/new/", support_views.initiative_create, name="initiative_create"),
    path("initiatives/<int:pk>/edit/", support_views.initiative_edit, name="initiative_edit"),
]
