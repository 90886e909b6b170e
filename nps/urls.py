from django.urls import path

from nps.views import answer

app_name = "nps"

# Each part adds its pages here: the public answer pages under /nps/a/, staff pages under
# /nps/ (surveys, invitations, reports, advocates).
urlpatterns = [
    path("nps/a/<str:token>/<int:score>/", answer.answer_page, name="answer"),
    path("nps/a/<str:token>/unsubscribe/", answer.unsubscribe_page, name="unsubscribe"),
]
