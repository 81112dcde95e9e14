# The throughput benchmark's peer: the same job as Gazette's pipeline, written the way a Python team would write it with Celery.
#
# Three Celery workers, one per stage, each its own process on its own
# queue, as Gazette's stages are: validate (jsonschema against Gazette's
# own schemas, NFC, Markdown to HTML with markdown-it-py, sanitised with
# nh3, which is ammonia's binding), render (the theme's Handlebars
# templates with pybars3) and publish (three PUTs with boto3: the
# revision's JSON and HTML copies in the archive, the page in the public
# bucket). Durability matches Gazette's: quorum queues, persistent
# messages, publisher confirms, and acks only after the task (and so the
# next step's publish or the PUTs) finished.
#
# Usage: python python_pipeline.py run SUBMISSIONS_JSONL WARMUP
# The settings come from the environment (PEER_*; see `Settings`). The
# driver starts the three workers, sends WARMUP articles and waits for
# them, then sends the rest and waits for every one to be published, and
# prints {"articles", "seconds", "articles_per_second", "workers"} as JSON.
#
# Where it differs from Gazette, it does less: no registry, no key
# conflicts, no pictures, no redirects, no schedule. Its pages use the
# same templates with the same fields, but are not byte-identical
# (pybars3 has no partial blocks, so the layout is applied by rewriting
# `{{#> layout}}`, and its escaping differs in `=` and `` ` ``).

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

from celery import Celery
from kombu import Queue

SITE_ZONE = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST.
STAGES = ("validate", "render", "publish")


class Settings:
    def __init__(self):
        env = os.environ
        self.amqp_url = env["PEER_AMQP_URL"]
        self.prefix = env["PEER_PREFIX"]
        self.s3_endpoint = env["PEER_S3_ENDPOINT"]
        self.s3_region = env.get("PEER_S3_REGION", "garage")
        self.site_bucket = env["PEER_SITE_BUCKET"]
        self.archive_bucket = env["PEER_ARCHIVE_BUCKET"]
        self.theme_dir = Path(env["PEER_THEME_DIR"])
        self.schema_dir = Path(env["PEER_SCHEMA_DIR"])
        self.concurrency = int(env.get("PEER_CONCURRENCY", "8"))

    def queue(self, stage):
        return f"{self.prefix}.{stage}"


settings = Settings()
app = Celery("gazette_peer", broker=settings.amqp_url)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=2,
    broker_transport_options={"confirm_publish": True},
    task_default_delivery_mode="persistent",
    worker_hijack_root_logger=False,
    worker_enable_remote_control=False,
    task_queues=[
        Queue(settings.queue(stage), durable=True, queue_arguments={"x-queue-type": "quorum"})
        for stage in STAGES + ("published",)
    ],
    task_routes={f"peer.{stage}": {"queue": settings.queue(stage)} for stage in STAGES},
    worker_detect_quorum_queues=True,
)

_state = {}
# The worker's threads share one of each, made on first use. pybars3's
# compiler is not thread-safe, so the first uses wait for each other.
_state_lock = threading.Lock()


def _shared(name, make):
    with _state_lock:
        if name not in _state:
            _state[name] = make()
    return _state[name]


def _make_validator():
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = []
    for path in settings.schema_dir.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    root = json.loads((settings.schema_dir / "article.submitted.v1.json").read_text("utf-8"))
    return Draft202012Validator(root, registry=registry)


def _make_markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True})


def _make_templates():
    from pybars import Compiler

    compiler = Compiler()
    theme = settings.theme_dir
    partials = {}
    for path in (theme / "partials").glob("*.hbs"):
        partials[path.stem] = compiler.compile(path.read_text("utf-8"))
    layout = (theme / "layout.hbs").read_text("utf-8")
    partials["layout"] = compiler.compile(layout.replace("{{> @partial-block}}", "{{> page_body}}"))
    article = (theme / "article.hbs").read_text("utf-8")
    inner = re.search(r"\{\{#> layout\}\}(.*)\{\{/layout\}\}", article, re.S).group(1)
    partials["page_body"] = compiler.compile(inner)
    return compiler.compile("{{> layout}}"), partials


def _make_s3():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name=settings.s3_region,
        aws_access_key_id=os.environ["PEER_S3_KEY_ID"],
        aws_secret_access_key=os.environ["PEER_S3_SECRET"],
        config=Config(max_pool_connections=settings.concurrency * 2, s3={"addressing_style": "path"}),
    )


def nfc(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    return value


def slugify(text):
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", bare).strip("-")


def portal_date(iso):
    when = datetime.fromisoformat(iso).astimezone(SITE_ZONE)
    return when.strftime("%d/%m/%Y | %H:%M")


@app.task(name="peer.validate")
def validate(body):
    import nh3

    envelope = json.loads(body)
    errors = sorted(_shared("validator", _make_validator).iter_errors(envelope), key=lambda e: list(e.path))
    if errors:
        # Rejected: nothing goes further (the corpus is valid).
        raise ValueError(f"{'/'.join(map(str, errors[0].path))}: {errors[0].message}")
    article = nfc(envelope["data"])
    html = _shared("markdown", _make_markdown).render(article["body"]["content"])
    article["body_html"] = nh3.clean(html)
    article["slug"] = slugify(article["title"])
    render.delay(article)


@app.task(name="peer.render")
def render(article):
    page, partials = _shared("templates", _make_templates)
    category = article["category"]
    published = article["published_at"]
    structured = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article["title"],
            "datePublished": published,
            "author": {"@type": "Person", "name": article.get("author", "")},
            "articleSection": category["name"],
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    context = {
        "lang": "vi",
        "site_name": "Gazette",
        "home_href": "/",
        "canonical_url": "",
        "title": article["title"],
        "description": article.get("lead", ""),
        "rss_href": f"/{category['slug']}/rss.xml",
        "atom_href": f"/{category['slug']}/atom.xml",
        "noindex": False,
        "locale": "vi_VN",
        "og_type": "article",
        "image": None,
        "article_meta": {
            "published_time": published,
            "modified_time": published,
            "section": category["name"],
            "tags": article.get("tags", []),
        },
        "structured_data": structured,
        "nav": [],
        "search": True,
        "category_name": category["name"],
        "category_href": f"/{category['slug']}/",
        "published_iso": published,
        "modified_iso": published,
        "published_display": portal_date(published),
        "lead": article.get("lead", ""),
        "author": article.get("author", ""),
        "tags": [{"name": t, "href": f"/tag/{slugify(t)}/"} for t in article.get("tags", [])],
        "body_html": article["body_html"],
        "cover": None,
        "views_url": "",
    }
    html = str(page(context, partials=partials))
    publish.delay(article, html)


@app.task(name="peer.publish")
def publish(article, html):
    s3 = _shared("s3", _make_s3)
    article_id = article["id"]
    revision = article["revision"]
    page = html.encode("utf-8")
    copy = json.dumps(article, ensure_ascii=False).encode("utf-8")
    archive_key = f"articles/{article_id}/{revision}"
    s3.put_object(Bucket=settings.archive_bucket, Key=f"{archive_key}.json", Body=copy,
                  ContentType="application/json")
    s3.put_object(Bucket=settings.archive_bucket, Key=f"{archive_key}.html", Body=page,
                  ContentType="text/html; charset=utf-8")
    s3.put_object(
        Bucket=settings.site_bucket,
        Key=f"{article['category']['slug']}/{article['slug']}.html",
        Body=page,
        ContentType="text/html; charset=utf-8",
        CacheControl="public, max-age=60",
        Metadata={"article-id": article_id, "revision": str(revision),
                  "sha256": hashlib.sha256(page).hexdigest()},
    )
    # article.published, on a queue the driver reads.
    with app.producer_or_acquire() as producer:
        producer.publish(
            {"article_id": article_id, "revision": revision},
            routing_key=settings.queue("published"),
            serializer="json",
            delivery_mode="persistent",
            retry=True,
        )


def _usage(pid):
    """CPU seconds and peak RSS in MB of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return cpu, peak


def _wait_published(wanted, workers):
    """Blocks until every article id in `wanted` was announced; fails when
    a worker has exited or nothing was announced for a minute."""
    seen = set()

    def announced(body, message):
        seen.add(body["article_id"])
        message.ack()

    done = Queue(settings.queue("published"), durable=True,
                 queue_arguments={"x-queue-type": "quorum"})
    with app.connection_for_read() as connection:
        with connection.Consumer(done, callbacks=[announced], accept=["json"]) as consumer:
            consumer.qos(prefetch_count=256)
            quiet_since = time.monotonic()
            while not wanted <= seen:
                before = len(seen)
                try:
                    connection.drain_events(timeout=1)
                except socket.timeout:
                    pass
                for stage, process in workers:
                    if process.poll() is not None:
                        raise RuntimeError(f"the {stage} worker exited with {process.returncode}")
                if len(seen) > before:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > 60:
                    raise RuntimeError(f"no article published for 60 s; {len(wanted - seen)} missing")


def run(submissions_path, warmup):
    bodies = Path(submissions_path).read_text("utf-8").splitlines()
    ids = [json.loads(b)["data"]["id"] for b in bodies]
    here = Path(__file__).resolve()
    workers = []
    for stage in STAGES:
        workers.append((stage, subprocess.Popen(
            [sys.executable, "-m", "celery", "--quiet", "-A", here.stem, "worker",
             "-Q", settings.queue(stage), "--pool", "threads",
             "--concurrency", str(settings.concurrency), "--loglevel", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"{stage}@%h"],
            cwd=here.parent, stdout=subprocess.DEVNULL,
        )))
    try:
        for body in bodies[:warmup]:
            validate.delay(body)
        _wait_published(set(ids[:warmup]), workers)
        usage_before = {stage: _usage(p.pid)[0] for stage, p in workers}
        started = time.monotonic()
        for body in bodies[warmup:]:
            validate.delay(body)
        _wait_published(set(ids[warmup:]), workers)
        seconds = time.monotonic() - started
        articles = len(bodies) - warmup
        report = {
            "articles": articles,
            "seconds": seconds,
            "articles_per_second": articles / seconds,
            "workers": [
                {"stage": stage, "cpu_seconds": cpu - usage_before[stage], "peak_rss_mb": peak}
                for stage, (cpu, peak) in ((stage, _usage(p.pid)) for stage, p in workers)
            ],
        }
    finally:
        for _, process in workers:
            process.terminate()
        for _, process in workers:
            process.wait(timeout=30)
        # A bench leaves no queues behind.
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            for stage in STAGES + ("published",):
                channel.queue_delete(settings.queue(stage))
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit("usage: python_pipeline.py run SUBMISSIONS_JSONL WARMUP")
    run(sys.argv[2], int(sys.argv[3]))
