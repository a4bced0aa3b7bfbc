"""`scrapy jobs run NAME | list | serve | cron [--file jobs.toml]`: scheduled archival jobs.

Thin: parses arguments and prints; the work is in `crawler.jobs`. Every
mistake in the jobs file is one `error:` line and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from scrapy.utils.conf import arglist_to_dict, closest_scrapy_cfg

from crawler.cli import one_line_errors

ACTIONS = ("run", "list", "serve", "cron")


def project_dir() -> Path:
    """The folder the job's crawls, crontab lines and systemd units run from: the nearest
    scrapy.cfg's, else this repository's (bin/newsarchive runs from anywhere, and cron or
    systemd then find the project only by `cd` into the folder holding its scrapy.cfg)."""
    cfg = closest_scrapy_cfg()
    if cfg:
        return Path(cfg).parent
    repository = Path(__file__).resolve().parents[2]
    return repository if (repository / "scrapy.cfg").is_file() else Path.cwd()


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "run NAME [--fresh] | list | serve | cron [--file FILE]"

    def short_desc(self):
        return "Run, list, schedule or export the archival jobs of a jobs file"

    def long_desc(self):
        return ("Jobs are defined in a TOML file (jobs.toml in the working directory unless --file "
                "names another; see jobs.example.toml). 'run NAME' runs one job now (resuming its "
                "interrupted run, if any), 'list' shows every job's last run, result and next run, "
                "'serve' starts each job at its cron time until stopped, 'cron' prints equivalent "
                "crontab lines and systemd units. -s NAME=VALUE options are passed on to the crawl.")

    def add_options(self, parser):
        from crawler.jobs.config import DEFAULT_FILE   # only the chosen command's options are added

        super().add_options(parser)
        parser.add_argument("--file", "-f", metavar="FILE", default=DEFAULT_FILE,
                            help=f"jobs file (default: {DEFAULT_FILE})")
        parser.add_argument("--fresh", action="store_true",
                            help="run: start a new run even if the last one was interrupted")
        parser.add_argument("--format", choices=("all", "crontab", "systemd"), default="all",
                            help="cron: what to print (default: both)")

    def process_options(self, args, opts):
        # `-s` options are for the crawl subprocess, not this process's settings.
        try:
            self.crawl_settings = arglist_to_dict(opts.set)
        except ValueError:
            raise UsageError("Invalid -s value, use -s NAME=VALUE", print_help=False) from None
        opts.set = []
        super().process_options(args, opts)

    @one_line_errors
    def run(self, args, opts):
        if not args or args[0] not in ACTIONS:
            raise UsageError(f"say what to do: scrapy jobs {{{'|'.join(ACTIONS)}}} (see --help)")
        action, rest = args[0], args[1:]
        if action == "run" and len(rest) != 1:
            raise UsageError("usage: scrapy jobs run NAME", print_help=False)
        if action != "run" and rest:
            raise UsageError(f"scrapy jobs {action} takes no arguments", print_help=False)
        if action == "serve" and self.crawl_settings:
            raise UsageError("-s options are not used by serve; put settings in the jobs file", print_help=False)
        # Imported here: Scrapy imports every command module for every command, crawls included.
        from crawler.jobs import actions
        from crawler.jobs.config import JobsConfigError, load_jobs, reserved_setting
        from crawler.jobs.scheduler import EXIT_USAGE

        for name in self.crawl_settings:
            # -s OUTPUT_DIR=... would put the run's WARCs where its manifest never looks: an "ok"
            # run folder holding only its log, and state pointing at records outside the job.
            reserved = reserved_setting(name)
            if reserved:
                raise UsageError(f"-s {reserved}", print_help=False)

        try:
            jobs_file = load_jobs(opts.file)
            if action == "run":
                self.exitcode = actions.run_job(jobs_file, rest[0], crawl_settings=self.crawl_settings,
                                                fresh=opts.fresh, cwd=project_dir())
            elif action == "list":
                self.exitcode = actions.list_jobs(jobs_file)
            elif action == "serve":
                self.exitcode = actions.serve(jobs_file, cwd=project_dir())
            else:
                self.exitcode = actions.print_cron(jobs_file, cwd=project_dir(), fmt=opts.format)
        except JobsConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
