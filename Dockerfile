FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
# gettext compiles the translation catalogs (locale/); the .mo files are not committed.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
# The versions uv.lock pins, the ones the tests pass with (the portal, without its extras),
# in the image's own environment /app/.venv, as uv's guide to Docker has it.
ENV PATH="/app/.venv/bin:$PATH"
RUN pip install --no-cache-dir uv==0.13.10 \
    && uv sync --locked --no-editable --no-cache \
    && DEBUG=0 SECRET_KEY=build python manage.py compilemessages --ignore=.venv \
    && DEBUG=0 SECRET_KEY=build python manage.py collectstatic --noinput
USER nobody
EXPOSE 8000
CMD ["gunicorn", "myaccount.wsgi", "--config", "gunicorn.conf.py"]
