FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
RUN pip install --upgrade pip && pip install .

COPY alembic.ini babel.cfg ./
COPY migrations ./migrations
COPY locales ./locales
COPY data ./data
RUN python -c "from pathlib import Path; from bot.i18n import compile_catalogs; compile_catalogs(Path('locales'), force=True)"

RUN useradd --create-home --uid 10001 bot && mkdir -p /app/var && chown -R bot:bot /app
USER bot

# In webhook mode /health answers; in polling mode the check is that the process is alive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,sys,urllib.request; u=os.environ.get('WEBHOOK_URL'); p=os.environ.get('WEBHOOK_PORT','8080'); sys.exit(0) if not u else urllib.request.urlopen(f'http://127.0.0.1:{p}/health', timeout=3)"

ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
