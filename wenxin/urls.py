"""Top-level URLs. Each app namespaces its own (households:list, visits:quota ...)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from wenxin import admin_views, audit_views, report_views, views

urlpatterns = [
    path("", views.home, name="home"),
    # The work report of a period: the page, its A4 print view and its .xlsx export.
    path("report/", report_views.report, name="report"),
    path("report/export.xlsx", report_views.report_export, name="report_export"),
    path("report/print/", report_views.report_print, name="report_print"),
    # The trail of a household, plan, opinion or visit: its row changes, for street leaders and administrators.
    path("audit/<slug:kind>/<int:pk>/", audit_views.audit_trail, name="audit_trail"),
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
    # Before the admin's own "view on site" redirect, which would answer for records out of scope too.
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(admin_views.view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
]

# A database gone mid-request answers 503 with templates/503.html ("nothing was saved, try again"); other errors 500.
handler500 = "wenxin.faults.server_error"
