# bandit: build, run, test and benchmark. `make run` and `make test` work on a fresh Debian machine.

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PREFIX ?= /usr/local
# Which build `make install` copies (release unless told otherwise).
CONFIGURATION ?= release
APT_PACKAGES := libreadline-dev libsqlite3-dev
# The tests also drive the REPL under tmux, check the man page with groff, and start a one-node
# Slurm cluster (slurm-wlm, munge) to play a sweep as a job array.
TEST_PACKAGES := $(APT_PACKAGES) tmux groff-base slurm-wlm munge
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps install-packages build release run test test-tsan bench man install install-files clean

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
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; }; \
	fi

build: deps
	$(SWIFT) build

# Release executables carry the Swift runtime and Foundation inside them (--static-swift-stdlib):
# they start in half the time (no shared libraries to load and relocate; `make bench`, workload 10)
# and run on a machine without the Swift toolchain.
STATIC := --static-swift-stdlib

release: deps
	$(SWIFT) build -c release $(STATIC)

# Builds and starts the program.
run: release
	.build/release/bandit

test: test-deps
	$(SWIFT) test

# The suites where threads meet (daemon, clients, jobs, the store's writer and readers), under
# ThreadSanitizer, in a build of their own. Every process they start (daemons, clients) writes its
# reports to TSAN_REPORTS; any report fails the run.
TSAN_SUITES := \.(ConcurrencyTests|DaemonTests|DaemonLifetimeTests|ConnectionTests|SecurityTests|ClientFilesTests|CrashLoopTests|WireTests|LiveJobTests|JobGeneratorTests|JobStateCommandTests|StoreTests|FaultTests|DamageTests|EvaluateCommandTests|SweepTests|GroupCommitTests)/
TSAN_REPORTS := $(CURDIR)/.build-tsan/reports
test-tsan: test-deps
	rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	TSAN_OPTIONS="log_path=$(TSAN_REPORTS)/report" $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter '$(TSAN_SUITES)'
	@if ls $(TSAN_REPORTS)/report* >/dev/null 2>&1; then cat $(TSAN_REPORTS)/report*; \
	  echo "ThreadSanitizer reported a data race (reports above)"; exit 1; fi

# Timed workloads, release build; prints figures (see the README's table). Workload 5 starts the
# banditd built beside the bench.
bench: deps
	$(SWIFT) build -c release $(STATIC) --product banditd
	$(SWIFT) build -c release $(STATIC) --product bandit
	$(SWIFT) build -c release $(STATIC) --product bandit-bench
	.build/release/bandit-bench $(BENCH_ARGS)

# Regenerates man/bandit.1 from the command table (a test fails when it is stale).
man: build
	.build/debug/bandit --man > man/bandit.1

# The same build as `make run` (`swift build -c release --static-swift-stdlib`), so that an install after it reuses it.
install: deps
	$(SWIFT) build -c $(CONFIGURATION) $(if $(filter release,$(CONFIGURATION)),$(STATIC))
	$(MAKE) --no-print-directory install-files BUILD_DIR=.build/$(CONFIGURATION)

# Copies built executables from BUILD_DIR, the man pages, etc/ and the examples under PREFIX.
BUILD_DIR ?= .build/$(CONFIGURATION)
install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bandit/etc $(DESTDIR)$(PREFIX)/share/bandit/examples
	install -m 755 $(BUILD_DIR)/bandit $(BUILD_DIR)/banditd $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/bandit.1 $(DESTDIR)$(PREFIX)/share/man/man1/bandit.1
	install -m 644 man/banditd.8 $(DESTDIR)$(PREFIX)/share/man/man8/banditd.8
	install -m 644 etc/bandit.conf $(DESTDIR)$(PREFIX)/share/bandit/etc/
	# The unit runs the banditd installed here, wherever PREFIX puts it.
	sed 's|/usr/local/bin/banditd|$(PREFIX)/bin/banditd|' etc/banditd.service > $(DESTDIR)$(PREFIX)/share/bandit/etc/banditd.service
	chmod 644 $(DESTDIR)$(PREFIX)/share/bandit/etc/banditd.service
	install -m 644 examples/notebook.bandit $(DESTDIR)$(PREFIX)/share/bandit/examples/

clean:
	rm -rf .build
