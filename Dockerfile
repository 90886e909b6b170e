# One image for web (gunicorn), worker and beat; docker-compose.yml picks the command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=0 \
    VAR_DIR=/app/var \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 1000 desk

COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN pip install --no-deps -e . \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var /app/media && chown -R desk:desk /app/var /app/media

USER desk
EXPOSE 8000
# /healthz from inside the container, named as the first of ALLOWED_HOSTS: Django answers
# 400 to a host it does not serve, so asking for 127.0.0.1 fails once ALLOWED_HOSTS is the
# real domain.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD python -c "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:%s/healthz' % os.environ['PORT'], headers={'Host': h}), timeout=4)"
CMD ["sh", "-c", "gunicorn advocacy.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
