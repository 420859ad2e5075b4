# The base image is pinned by digest: the multi-arch index of python:3.11-slim, which was
# python:3.11.17-slim on Debian 13 "trixie" (image created 2026-10-01), as recorded 2026-12-02.
# To refresh: `docker buildx imagetools inspect python:3.11-slim` (or `docker pull python:3.11-slim`
# then `docker inspect --format '{{index .RepoDigests 0}}' python:3.11-slim`) and put the new digest
# here with the date; then build and run the image once.
FROM python:3.11-slim@sha256:45037981b62b34b44602584fccbc4d884d5f7dc92c7ee86bb38a698a79fe1e51

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080

RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 linkage \
    && mkdir -p /data && chown linkage:linkage /data

WORKDIR /app
# The dependencies from the hash-pinned lock (scripts/lock): pip refuses a file whose SHA-256
# differs. Linkage itself then installs with no dependencies of its own and the locked setuptools as
# its build backend, so nothing unpinned is downloaded.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY services ./services
COPY locales ./locales
RUN pip install --no-deps --no-build-isolation . && pip check

USER linkage
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request, os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"WEB_PORT\"]}/healthz', timeout=4)"
CMD ["python", "-m", "bot"]
