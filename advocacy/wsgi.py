import os

from django.core.wsgi import get_wsgi_application

from advocacy.memory import tune_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "advocacy.settings")
application = get_wsgi_application()
tune_for_serving()
