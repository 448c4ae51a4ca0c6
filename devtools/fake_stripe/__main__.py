"""Run the fake Stripe server in the foreground: ``python -m devtools.fake_stripe``."""

import argparse

from .server import FakeStripe


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.fake_stripe", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--public-url", help="base address put in account links, if not host:port")
    parser.add_argument("--rate-limit", type=float, help="requests per second (default: unlimited)")
    parser.add_argument("--webhook-url", help="deliver generated events to this URL")
    parser.add_argument("--webhook-secret", help="signing secret for --webhook-url (whsec_...)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each request")
    args = parser.parse_args(argv)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")

    fake = FakeStripe(
        host=args.host,
        port=args.port,
        rate_limit_per_second=args.rate_limit,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        public_url=args.public_url,
        verbose=args.verbose,
    )
    fake.start()
    print(f"Fake Stripe listening on {fake.url} (Ctrl-C to stop)", flush=True)
    fake.serve_forever()


if __name__ == "__main__":
    main()
