"""`scrapy jobs run NAME | list | serve | cron [--file jobs.toml]`: scheduled archival jobs.

Thin: parses arguments and prints; the work is in `crawler.jobs`. Every
mistake in the jobs file is one `error:` line and exit status 2.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from scrapy.utils.conf import arglist_to_dict, closest_scrapy_cfg

from crawler.cli import one_line_errors

from crawler.jobs import cron, manifest as mf
from crawler.jobs.config import DEFAULT_FILE, JobsConfigError, load_jobs
from crawler.jobs.lock import JobLocked, lock_holder
from crawler.jobs.runner import JobRunner, describe
from crawler.jobs.scheduler import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE,
                                    Scheduler, SubprocessLauncher, SystemClock, file_loader, next_fire)

ACTIONS = ("run", "list", "serve", "cron")


def project_dir() -> Path:
    cfg = closest_scrapy_cfg()
    return Path(cfg).parent if cfg else Path.cwd()


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
        try:
            jobs_file = load_jobs(opts.file)
            self.exitcode = getattr(self, f"_{action}")(jobs_file, rest, opts)
        except JobsConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = EXIT_USAGE

    # --- actions --------------------------------------------------------------

    def _run(self, jobs_file, rest, opts) -> int:
        job = jobs_file.get(rest[0])
        _log_to_stderr()
        runner = JobRunner(job, extra_settings=self.crawl_settings, fresh=opts.fresh, cwd=project_dir(),
                           echo=print)
        try:
            manifest = runner.run()
        except JobLocked as exc:
            print(f"job {job.name}: {exc}", file=sys.stderr)
            return EXIT_LOCKED
        run_dir = job.output_dir / manifest["run"]
        print(f"job {job.name}: run {manifest['run']} {describe(manifest)}")
        print(f"  manifest: {run_dir / mf.MANIFEST}")
        print(f"  log:      {run_dir / 'crawl.log'}")
        return {mf.OK: EXIT_OK, mf.INTERRUPTED: EXIT_INTERRUPTED}.get(manifest["result"], EXIT_FAILED)

    def _list(self, jobs_file, rest, opts) -> int:
        now = SystemClock().now()
        rows = [("JOB", "SCHEDULE", "LAST RUN", "RESULT", "NEXT RUN")]
        for name, job in sorted(jobs_file.jobs.items()):
            last = mf.last_run(job.output_dir)
            holder = lock_holder(job.lock_path)
            if last is None:
                last_run, result = "never", "-"
            else:
                manifest = last[1]
                last_run = manifest.get("started") or last[0].name
                result = manifest.get("result", "?")
                if result == mf.RUNNING and holder is None:
                    result = "interrupted (resumes next run)"
                elif result == mf.INTERRUPTED:
                    result = "interrupted (resumes next run)"
                elif result in (mf.OK, mf.FAILED) and manifest.get("counts"):
                    c = manifest["counts"]
                    result += f" ({c.get('pages', 0)} pages, {c.get('articles', 0)} articles)"
            if holder is not None:
                result = f"running (pid {holder.get('crawl_pid') or holder.get('pid', '?')})"
            upcoming = next_fire(job, now).astimezone(job.tz)
            rows.append((name, f"{job.schedule} ({job.timezone})", last_run, result,
                         upcoming.strftime("%Y-%m-%d %H:%M %Z")))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return EXIT_OK

    def _serve(self, jobs_file, rest, opts) -> int:
        _log_to_stderr()
        if self.crawl_settings:
            raise UsageError("-s options are not used by serve; put settings in the jobs file", print_help=False)
        launcher = SubprocessLauncher(jobs_file.path, cwd=project_dir())
        scheduler = Scheduler(jobs_file.jobs, launcher, loader=file_loader(jobs_file.path, load_jobs))

        def stop(signum, frame):
            logging.getLogger(__name__).info("stopping (signal %s): no new runs; running ones stop and resume later", signum)
            scheduler.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            scheduler.serve()
        finally:
            launcher.stop_all()
        return EXIT_OK

    def _cron(self, jobs_file, rest, opts) -> int:
        print(cron.render(jobs_file, project_dir(), fmt=opts.format), end="")
        return EXIT_OK


def _log_to_stderr() -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_jobs", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        handler._jobs = True
        root.addHandler(handler)
        root.setLevel(logging.INFO)
