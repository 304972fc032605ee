"""Scale-out: the archive's work on Dramatiq workers over a shared PostgreSQL archive.

settings.py   every PRESSWATCH_* setting of a deployment, documented
broker.py     the Dramatiq broker (Redis or RabbitMQ) and our middleware
actors.py     the tasks: fetch a source, extract a page, enrich ids, backfill, alerts
enrich.py     enrichment of named articles (syndication one at a time)
scheduler.py  `presswatch scheduler`: queues what is due; one active at a time
state.py      what workers share in Redis: queued marks, heartbeats, failed tasks
status.py     `presswatch status` and `presswatch retry-failed`

Nothing here is imported by the embedded default.
"""
