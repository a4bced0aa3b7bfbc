"""`python -m demosite [--port 8765] [--synthetic N] [--seed 1] [--expected FILE]`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from . import DemoSite


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demosite", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N", help="generated articles to add")
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated articles")
    parser.add_argument("--expected", metavar="FILE", help="also write the ground truth as JSON to FILE")
    args = parser.parse_args(argv)
    site = DemoSite(port=args.port, synthetic_articles=args.synthetic, seed=args.seed)
    try:
        site.start()
    except OSError as exc:
        print(f"demosite: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    if args.expected:
        with open(args.expected, "w", encoding="utf-8") as fh:
            json.dump(site.expected, fh, ensure_ascii=False, indent=1)
    print(site.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
