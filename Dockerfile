FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . && DEBUG=0 SECRET_KEY=collectstatic python manage.py collectstatic --noinput
USER nobody
EXPOSE 8000
CMD ["gunicorn", "myaccount.wsgi", "--config", "gunicorn.conf.py"]
