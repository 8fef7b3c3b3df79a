# selfhosted.ai_coding — day-to-day entry points. The README names two: `make test` and `make demo`.
# Every target sources tests/testbed/env.sh, which makes the checkout resolve as
# ansible_collections/selfhosted/ai_coding (symlink under .cache/collections) and keeps ANSIBLE_HOME in .cache.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
TB := tests/testbed
ENV := source $(TB)/env.sh
SCENARIO ?= testbed

.PHONY: help test demo demo-destroy venv engine images lint yamllint ansible-lint sanity unit molecule build clean

help:
	@echo "make test       set up the venv, Docker engine and images, then run lint, sanity, units and every Molecule scenario"
	@echo "make demo       deploy site.yml into a local Debian systemd container (inventories/demo) and print the health table"
	@echo "make lint | sanity | unit | molecule SCENARIO=x | build | images | engine | venv | demo-destroy | clean"

test:
	@bash $(TB)/test-all.sh

demo: venv engine images
	@bash $(TB)/demo.sh up

demo-destroy:
	@bash $(TB)/demo.sh destroy

venv:
	@bash $(TB)/venv.sh

engine:
	@bash $(TB)/docker-engine.sh

images: engine
	@bash $(TB)/build-images.sh

lint: yamllint ansible-lint

yamllint: venv
	@$(ENV) && yamllint --strict .

ansible-lint: venv
	@$(ENV) && python $(TB)/awx_collection.py >/dev/null && ansible-lint --offline --profile production

# ansible-test sanity runs all 24 tests of ansible-core 2.21 with --local (no test containers: nothing can be
# pulled here). Not run, and why:
#   compile, import on Python versions other than the venv's 3.12: their interpreters are not installed on this
#     machine (ansible-test would need them, or --docker images that cannot be pulled); the modules' own Python
#     floor is covered by the 3.12 run plus the Molecule targets' 3.11 (Debian 12) and 3.13 (Debian 13).
sanity: venv
	@bash $(TB)/sanity.sh

unit: venv
	@bash $(TB)/unit.sh

molecule: venv images
	@bash $(TB)/molecule.sh $(SCENARIO)

build: venv
	@bash $(TB)/galaxy-build.sh

clean:
	rm -rf .cache tests/output
