"""Top-level URLs. Each app namespaces its own (households:list, visits:quota ...)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from wenxin import report_views, views

urlpatterns = [
    path("", views.home, name="home"),
    # The work report of a period: the page, its A4 print view and its .xlsx export.
    path("report/", report_views.report, name="report"),
    path("report/export.xlsx", report_views.report_export, name="report_export"),
    path("report/print/", report_views.report_print, name="report_print"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("households/", include("households.urls")),
    path("visits/", include("visits.urls")),
    path("feedback/", include("feedback.urls")),
    path("assessment/", include("assessment.urls")),
    path("jobs/", include("wenxin.job_urls")),
    # The online channel: public, no login (residents follow their opinion with a tracking code).
    path("opinion/", include("feedback.public_urls")),
    path("admin/", admin.site.urls),
]
