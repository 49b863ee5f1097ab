# The image deploy/k8s/poplit.yaml names: one image, three roles (`rasa`, `actions`, `followups`), chosen
# by the container's argument (python -m bot run-part). Train first (`make train`): the model is copied
# in, not trained during the build.
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2 \
    VAR_DIR=/app/var VENV=/opt/venv PATH=/opt/venv/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/* \
    && python -m venv /opt/venv
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The chat page's npm packages, as package-lock.json pins them.
COPY bot/channels/web/package.json bot/channels/web/package-lock.json bot/channels/web/
RUN npm ci --prefix bot/channels/web --omit=dev --no-audit --no-fund

COPY . .
RUN test -f models/poplit.tar.gz || { echo "run 'make train' before building the image" >&2; exit 1; } \
    && python -m bot build-spacy var/spacy/en_poplit \
    && useradd --uid 1000 --home-dir /app poplit && chown -R poplit /app/var
USER 1000

EXPOSE 5005 5055 5057
ENTRYPOINT ["python", "-m", "bot", "run-part"]
CMD ["rasa"]
