"""Visit diary pages (the social worker's phone) and the review pages (chiefs, community leaders, leaders)."""

from django.urls import path

from visits import export_views, print_views, review_views, views

app_name = "visits"

urlpatterns = [
    # A worker's daily tools
    path("log/", views.visit_log, name="log"),
    path("log/households/", views.household_search, name="household_search"),
    path("diary/", views.diary, name="diary"),
    path("diary/print/", print_views.diary_print, name="diary_print"),
    path("diary/export.xlsx", print_views.diary_export, name="diary_export"),
    path("planner/", views.planner, name="planner"),
    path("planner/export.xlsx", export_views.planner_export, name="planner_export"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/edit/", views.visit_edit, name="edit"),
    # Review
    path("quota/", review_views.quota_dashboard, name="quota"),
    path("quota/export.xlsx", review_views.quota_export, name="quota_export"),
    path("quota/workers/<int:pk>/", review_views.quota_worker, name="quota_worker"),
    path("coverage/", review_views.coverage_page, name="coverage"),
    path("coverage/export.xlsx", review_views.coverage_export, name="coverage_export"),
    path("coverage/staff/<int:pk>/", review_views.staff_estates, name="staff_estates"),
    path("service-day/", review_views.service_day_page, name="service_day"),
    path("service-day/export.xlsx", export_views.service_day_export, name="service_day_export"),
    path("places/", review_views.places, name="places"),
    path("places/export.xlsx", export_views.places_export, name="places_export"),
    path("places/estates/<int:pk>/", review_views.estate_visits, name="estate_visits"),
    path("places/estates/<int:pk>/export.xlsx", export_views.estate_visits_export, name="estate_visits_export"),
    path("places/enterprises/<int:pk>/", review_views.enterprise_visits, name="enterprise_visits"),
    path(
        "places/enterprises/<int:pk>/export.xlsx",
        export_views.enterprise_visits_export,
        name="enterprise_visits_export",
    ),
]
