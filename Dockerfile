# One image for every fuelpay process (web, worker, pump bridge worker, beat); compose picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=fuelpay.settings.production
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && python manage.py compilemessages --ignore=.venv \
    && DJANGO_SETTINGS_MODULE=fuelpay.settings.build python manage.py collectstatic --noinput
RUN useradd --system --uid 1000 fuelpay && mkdir -p /app/var && chown fuelpay /app/var
USER fuelpay
EXPOSE 8000
CMD ["gunicorn", "fuelpay.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]
