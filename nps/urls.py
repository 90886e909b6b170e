from django.urls import path

from nps.views import advocates, answer, reports, surveys

app_name = "nps"

# Each part adds its pages here: the public answer pages under /nps/a/, staff pages under
# /nps/ (surveys, invitations, reports, advocates).
urlpatterns = [
    path("nps/a/<str:token>/<int:score>/", answer.answer_page, name="answer"),
    path("nps/a/<str:token>/unsubscribe/", answer.unsubscribe_page, name="unsubscribe"),
    path("nps/a/<str:token>/thanks/", answer.thanks_page, name="answer-thanks"),
    path("nps/advocates/", advocates.advocates_page, name="advocates"),
    path("nps/advocates/<int:pk>/", advocates.advocate_page, name="advocate"),
    path("nps/advocates/<int:pk>/care/", advocates.advocate_care, name="advocate-care"),
    path("nps/advocates/<int:pk>/confirm/", advocates.advocate_decide,
         {"decision": "confirm"}, name="advocate-confirm"),
    path("nps/advocates/<int:pk>/decline/", advocates.advocate_decide,
         {"decision": "decline"}, name="advocate-decline"),
    path("nps/follow-ups/", advocates.follow_ups_page, name="follow-ups"),
    path("nps/follow-ups/<int:pk>/done/", advocates.follow_up_done, name="follow-up-done"),
    path("nps/reports/", reports.reports_page, name="reports"),
    path("nps/surveys/", surveys.surveys_page, name="surveys"),
    path("nps/surveys/new/", surveys.survey_new_page, name="survey-new"),
    path("nps/surveys/<slug:slug>/", surveys.survey_page, name="survey"),
    path("nps/surveys/<slug:slug>/edit/", surveys.survey_edit_page, name="survey-edit"),
    path("nps/surveys/<slug:slug>/launch/", surveys.survey_launch, name="survey-launch"),
    path("nps/surveys/<slug:slug>/invitations/", surveys.survey_invitations_page,
         name="survey-invitations"),
]
