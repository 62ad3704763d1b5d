"""Background jobs: jobs:list, jobs:detail, jobs:progress (the htmx fragment), jobs:download."""

from django.urls import path

from wenxin import job_views

app_name = "jobs"

urlpatterns = [
    path("", job_views.job_list, name="list"),
    path("<int:pk>/", job_views.job_detail, name="detail"),
    path("<int:pk>/progress/", job_views.job_progress, name="progress"),
    path("<int:pk>/download/", job_views.job_download, name="download"),
]
