"""The online channel: a public page, no login, under /opinion/."""

from django.urls import path

from feedback import public_views

app_name = "public"

urlpatterns = [
    path("", public_views.submit, name="submit"),
    path("thanks/", public_views.thanks, name="thanks"),
    path("track/", public_views.track, name="track"),
]
