"""Pages of the four listenings and the opinion pipeline (staff), under /feedback/."""

from django.urls import path

from feedback import export_views, figures_views, meeting_views, views

app_name = "feedback"

urlpatterns = [
    # Opinions and their work lists
    path("", views.opinion_list, name="list"),
    path("export.xlsx", views.opinion_export, name="export"),
    path("mine/", views.my_tasks, name="mine"),
    path("overdue/", views.overdue, name="overdue"),
    path("new/", views.opinion_create, name="create"),
    path("<int:pk>/", views.opinion_detail, name="detail"),
    path("<int:pk>/sort/", views.opinion_sort, name="sort"),
    path("<int:pk>/split/", views.opinion_split, name="split"),
    path("<int:pk>/assign/", views.opinion_assign, name="assign"),
    path("<int:pk>/start/", views.opinion_start, name="start"),
    path("<int:pk>/resolve/", views.opinion_resolve, name="resolve"),
    path("<int:pk>/explain/", views.opinion_explain, name="explain"),
    # Topic meetings
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/export.xlsx", export_views.topic_export, name="topic_export"),
    path("topics/new/", views.topic_create, name="topic_create"),
    path("topics/<int:pk>/", views.topic_detail, name="topic_detail"),
    # Four listenings
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/export.xlsx", export_views.meeting_export, name="meeting_export"),
    path("meetings/new/", meeting_views.meeting_create, name="meeting_create"),
    path("meetings/cadence/", meeting_views.cadence, name="cadence"),
    path("meetings/cadence/export.xlsx", export_views.cadence_export, name="cadence_export"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meeting_views.meeting_edit, name="meeting_edit"),
    # Figures
    path("figures/", figures_views.figures, name="figures"),
    path("figures/export.xlsx", export_views.figures_export, name="figures_export"),
]
