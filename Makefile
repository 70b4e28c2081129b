# bandit: build, run, test and benchmark. `make run` and `make test` work on a fresh Debian machine.

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PREFIX ?= /usr/local
APT_PACKAGES := libreadline-dev libsqlite3-dev
# The tests also drive the REPL under tmux and check the man page with groff.
TEST_PACKAGES := $(APT_PACKAGES) tmux groff-base
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps install-packages build release run test bench man install clean

all: build

# Installs the C libraries the program links when they are missing (Debian/Ubuntu).
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(TEST_PACKAGES)"

install-packages:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get install -y $$missing || { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds and starts the program.
run: release
	.build/release/bandit

test: test-deps
	$(SWIFT) test

# Timed workloads, release build; prints figures (see the README's table).
bench: deps
	$(SWIFT) build -c release --product bandit-bench
	.build/release/bandit-bench $(BENCH_ARGS)

# Regenerates man/bandit.1 from the command table (a test fails when it is stale).
man: build
	.build/debug/bandit --man > man/bandit.1

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 .build/release/bandit $(DESTDIR)$(PREFIX)/bin/bandit
	install -m 644 man/bandit.1 $(DESTDIR)$(PREFIX)/share/man/man1/bandit.1

clean:
	rm -rf .build
