# Two commands for a fresh machine: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/atelier
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
DEBIAN_PACKAGES := chromium fonts-dejavu-core postgresql redis-server wrk

.PHONY: run test install system-packages services migrate demo fake-stripe bench clean

# Developer commands install everything: the runtime requirements and the test/development ones
# (requirements-dev.txt includes requirements.txt). A production install is requirements.txt alone (README).
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed

# Debian packages the tests need (Chromium for browser tests, the services), after one apt-get update.
system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# PostgreSQL and Redis, started if they are down.
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# The embedded default: SQLite, tasks in process, e-mail on the console, the fake Stripe server on :12111.
run: demo
	@$(PY) -m devtools.fake_stripe --port 12111 --webhook-url http://127.0.0.1:8000/stripe/webhook/ --webhook-secret whsec_atelier_fake & \
	 fake=$$!; trap "kill $$fake 2>/dev/null" EXIT INT TERM; \
	 $(PY) manage.py sync_fake_stripe || echo "Demo payout accounts not sent to the fake Stripe server."; \
	 $(PY) manage.py runserver 127.0.0.1:8000

# The whole suite, on PostgreSQL and Redis, browser tests included.
test: system-packages services install
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) manage.py collectstatic --noinput -v0
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m pytest $(PYTEST_ARGS)

bench: system-packages services install
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/run_all.py

clean:
	rm -rf $(VENV) atelier.sqlite3 media staticfiles
