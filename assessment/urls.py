"""The assessment's pages: three-musts compliance, the quarterly scorecard, the community leader's verification."""

from django.urls import path

from assessment import export_views, views

app_name = "assessment"

urlpatterns = [
    path("three-musts/", views.three_musts_page, name="three_musts"),
    path("three-musts/export.xlsx", export_views.three_musts_export, name="three_musts_export"),
    path("scorecard/", views.scorecard_page, name="scorecard"),
    path("scorecard/export.xlsx", views.scorecard_export, name="scorecard_export"),
    path("verify/", views.verify_workers, name="verify"),
    path("verify/workers/<int:pk>/", views.verify_worker_visits, name="verify_worker"),
    path("verify/visits/<int:pk>/", views.verify_visit, name="verify_visit"),
]
