"""Scheduled, incremental archival jobs: `scrapy jobs run|list|serve|cron`.

actions (what each subcommand does), config (the jobs file), lock (one run at a
time), manifest (what a run left), runner (one run in a crawl subprocess), scheduler
(`serve`), cron (crontab and systemd export), stats (crawl stats handed to the runner).
"""
