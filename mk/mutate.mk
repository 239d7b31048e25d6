# Mutation testing of the kernel (not part of `make test`; see docs/testing.md).
#   make mutate MUTANTS=100 SEED=1      a reproducible sample of MUTANTS mutants
#   make mutate MUTANT=<id>[,<id>...]   replay mutants (MUTANT=survivors: the last report's)
#   make mutate MUTATE_LIST=1           print the sample without running it
# MUTATE_JOBS=n runs n mutants at a time (default 1: the machine is shared).
MUTANTS ?= 100
SEED ?= 1
MUTATE_JOBS ?= 1
MUTATE_TIMEOUT ?= 150

.PHONY: mutate
mutate: deps-test
	$(Q)$(PYTHON) tools/mutate.py --mutants $(MUTANTS) --seed $(SEED) --jobs $(MUTATE_JOBS) \
		--timeout $(MUTATE_TIMEOUT) $(if $(MUTANT),--mutant '$(MUTANT)') \
		$(if $(filter 1,$(MUTATE_LIST)),--list)
