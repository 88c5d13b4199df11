FROM python:3.11-slim
# postgresql-client: psql for bin/db_roles.sh (the migrate step's grants) and pg_dump/pg_restore for backups.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=sibcase.settings.demo python manage.py compilemessages --ignore=.venv
RUN useradd --create-home sibcase
USER sibcase
EXPOSE 8000
