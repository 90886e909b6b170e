"""A member of staff's own settings: the language of the desk."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from cases.auth import in_groups
from cases.middleware import LANGUAGES, SESSION_KEY
from cases.models import ADVOCATES, MANAGERS
from cases.services import set_staff_language


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (the cookie, back to ``next``), and for signed-in staff the
    choice saved on them too. Open to anyone: the sign-in page offers it as well."""
    language = request.POST.get("language")
    if language in LANGUAGES and in_groups(request.user, ADVOCATES, MANAGERS):
        set_staff_language(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    return set_language(request)
